"""What a function is made of: its settings, its AWS clients, and the use cases it calls, each built the
first time something asks for it.

A function's ``app.py`` makes one ``Composition`` when it is loaded (nothing is built then) and hands
each route the parts it uses through Powertools' ``Depends`` (tests swap them through
``app.dependency_overrides``), or each event handler through a parameter. A part's modules are
imported where it is built, so a function loads only its own use cases, models and adapters:
listing images imports none of sign-in's, and the pipeline's functions no JWT library. A test
makes a ``Composition`` of its own, or loads a function afresh, for a cold start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from imagegen import metrics
from imagegen.aws import AwsClients
from imagegen.config import Settings, environment_settings
from imagegen.invocation import Invocation

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from imagegen.adapters.google_identity import GoogleTokenVerifier
    from imagegen.adapters.storage import ImageStorage
    from imagegen.api.share_views import ShareViews
    from imagegen.api.views import ImageViews
    from imagegen.metrics import Count
    from imagegen.models.catalog import ModelCatalog, ModelSpec
    from imagegen.models.shares import SharedPages
    from imagegen.models.styles import StylePresets
    from imagegen.repositories.dynamo import Transactions
    from imagegen.repositories.export_sources import RecordSources
    from imagegen.repositories.exports import ExportRepository
    from imagegen.repositories.images import ImageRepository
    from imagegen.services.account_deletion import AccountDeletions, AccountEraser, DeletionSweep
    from imagegen.services.auth import AuthService
    from imagegen.services.coins import CoinService
    from imagegen.services.cursors import CursorCodec
    from imagegen.services.exports import ExportService, ExportWorker
    from imagegen.services.generation import GenerationService
    from imagegen.services.generation_worker import GenerationWorker
    from imagegen.services.images import ImageService
    from imagegen.services.payments import PaymentService
    from imagegen.services.pipeline import ImagePipeline
    from imagegen.services.rate_limits import RateLimits
    from imagegen.services.share_records import ShareRecords
    from imagegen.services.shares import ShareService
    from imagegen.services.sweeper import Sweeper
    from imagegen.services.uploads import UploadService
    from imagegen.services.users import UserService, WelcomeMarks

SECRET_MAX_AGE_SECONDS = 300
# How soon a change of the model catalog's (or the style presets') SSM parameter reaches a warm container.
CATALOG_MAX_AGE_SECONDS = 300
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# How long after its URL expires an upload may still be in flight before the sweeper fails it.
UPLOAD_SWEEP_MARGIN = timedelta(minutes=10)


def token_secret(settings: Settings, aws: AwsClients) -> str:
    """The service's signing secret, from Secrets Manager, cached for warm invocations."""
    value = aws.secrets.get(settings.tokens.secret_arn, max_age=SECRET_MAX_AGE_SECONDS)
    if not isinstance(value, str) or len(value) < 32:
        raise RuntimeError("the token signing secret must be a string of at least 32 characters")
    return value


class ConfiguredSource[Listed]:
    """A list ops configure in an SSM parameter (the model catalog, the style presets): fetched through
    ``fetch`` (cached by it) and parsed by ``parse`` again only when it changed.

    A list that does not validate raises its error on every call until it is fixed: nothing is used
    from a list half understood.
    """

    def __init__(self, fetch: Callable[[], str], parse: Callable[[str], Listed]) -> None:
        self._fetch = fetch
        self._parse = parse
        self._text: str | None = None
        self._parsed: Listed | None = None

    def __call__(self) -> Listed:
        text = self._fetch()
        if self._parsed is None or text != self._text:
            self._parsed, self._text = self._parse(text), text
        return self._parsed


def _catalog(text: str) -> ModelCatalog:
    from imagegen.models.catalog import ModelCatalog  # here: only the functions that read it build it

    return ModelCatalog.parse(text)


def _style_presets(text: str) -> StylePresets:
    from imagegen.models.styles import StylePresets  # here: only the generate function reads them

    return StylePresets.parse(text)


class CatalogSource(ConfiguredSource["ModelCatalog"]):
    """The model catalog, fetched through ``fetch`` (cached by it) and parsed again only when it changed.

    A catalog that does not validate raises ``CatalogInvalid`` on every call until it is
    fixed: nothing is priced or drawn from a catalog half understood.
    """

    def __init__(self, fetch: Callable[[], str]) -> None:
        super().__init__(fetch, _catalog)


class PresetSource(ConfiguredSource["StylePresets"]):
    """The style presets, fetched through ``fetch`` (cached by it) and parsed again only when they
    changed; ``StylePresetsInvalid`` on every call while they do not validate."""

    def __init__(self, fetch: Callable[[], str]) -> None:
        super().__init__(fetch, _style_presets)


class Composition:
    """The parts of one container, each built once, when first used.

    ``settings`` default to the process's environment and ``aws`` to clients made from it;
    ``count`` writes CloudWatch metrics and ``clock`` tells the sessions' time (tests pass a recorder
    and a clock they move).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        aws: AwsClients | None = None,
        count: Count = metrics.count,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings if settings is not None else environment_settings()
        self.aws = aws if aws is not None else AwsClients()
        self.count = count
        self.clock = clock

    def _secret(self) -> str:
        return token_secret(self.settings, self.aws)

    @cached_property
    def catalog(self) -> CatalogSource:
        """The model catalog of the ``MODEL_CATALOG_PARAMETER`` SSM parameter: call it for the current one."""
        name = self.settings.generation.model_catalog_parameter
        return CatalogSource(lambda: str(self.aws.ssm.get(name, max_age=CATALOG_MAX_AGE_SECONDS)))

    @cached_property
    def style_presets(self) -> PresetSource:
        """The style presets of the ``STYLE_PRESETS_PARAMETER`` SSM parameter, as they are at each call."""
        name = self.settings.styles.presets_parameter
        return PresetSource(lambda: str(self.aws.ssm.get(name, max_age=CATALOG_MAX_AGE_SECONDS)))

    @cached_property
    def invocation(self) -> Invocation:
        """The Lambda invocation under way (API handlers start it through the resolver)."""
        return Invocation()

    @cached_property
    def transactions(self) -> Transactions:
        from imagegen.repositories.dynamo import Transactions

        return Transactions(self.aws.dynamodb)

    @cached_property
    def cursors(self) -> CursorCodec:
        from imagegen.services.cursors import CursorCodec

        return CursorCodec(self._secret)

    @cached_property
    def coins(self) -> CoinService:
        from imagegen.repositories.coins import CoinRepository
        from imagegen.services.coins import CoinService

        return CoinService(
            CoinRepository(self.aws.dynamodb, self.settings.coins.table),
            self.transactions,
            seconds_left=self.invocation.seconds_left,
        )

    @cached_property
    def users(self) -> UserService:
        from imagegen.repositories.users import UserRepository
        from imagegen.services.users import UserService

        return UserService(
            UserRepository(self.aws.dynamodb, self.settings.accounts.users_table),
            self.coins,
            self.transactions,
            self.cursors,
            admin_emails=self.settings.accounts.admin_email_set,
            welcome_coins=self.settings.accounts.welcome_coins,
            languages=self.settings.languages.languages,
            welcome_mark=self.welcome_marks,
            clock=self.clock,
        )

    @cached_property
    def welcome_marks(self) -> WelcomeMarks:
        """What a Google account's welcome is remembered by once its account is deleted."""
        from imagegen.services.users import WelcomeMarks

        return WelcomeMarks(self._secret)

    @cached_property
    def account_deletions(self) -> AccountDeletions:
        """Deletions asked for by a user or an admin: started at once, carried out by the deletion job."""
        from imagegen.adapters.queue import DeletionQueue
        from imagegen.repositories.users import UserRepository
        from imagegen.services.account_deletion import AccountDeletions

        return AccountDeletions(
            UserRepository(self.aws.dynamodb, self.settings.accounts.users_table),
            self.transactions,
            DeletionQueue(self.aws.sqs, self.settings.deletions.queue_url),
            self.welcome_marks,
            clock=self.clock,
        )

    @cached_property
    def account_eraser(self) -> AccountEraser:
        """The deletion job: everything of an account removed, but its money records."""
        from imagegen.repositories.coins import CoinRepository
        from imagegen.repositories.erasure import UserRecordsRepository
        from imagegen.repositories.idempotency import IdempotencyRecords
        from imagegen.repositories.rate_limits import RateLimitRepository
        from imagegen.repositories.sessions import SessionRepository
        from imagegen.repositories.shares import ShareRepository
        from imagegen.repositories.users import UserRepository
        from imagegen.services.account_deletion import AccountEraser

        dynamodb, erasure = self.aws.dynamodb, self.settings.erasure
        records = UserRecordsRepository(
            self.image_records,
            ShareRepository(dynamodb, self.settings.shares.table),
            IdempotencyRecords(dynamodb, erasure.idempotency_table),
            RateLimitRepository(dynamodb, erasure.rate_limits_table),
            SessionRepository(dynamodb, erasure.sessions_table),
            CoinRepository(dynamodb, self.settings.coins.table),
        )
        return AccountEraser(
            UserRepository(dynamodb, erasure.users_table),
            records,
            self.images,
            self.storage,
            self.transactions,
        )

    @cached_property
    def deletion_sweep(self) -> DeletionSweep:
        """The sweeper's part of deletions: those under way too long are queued again."""
        from imagegen.adapters.queue import DeletionQueue
        from imagegen.repositories.users import UserRepository
        from imagegen.services.account_deletion import DeletionSweep

        deletions = self.settings.deletions
        return DeletionSweep(
            UserRepository(self.aws.dynamodb, deletions.users_table),
            DeletionQueue(self.aws.sqs, deletions.queue_url),
            resume_after=timedelta(seconds=deletions.resume_after_seconds),
        )

    @cached_property
    def google(self) -> GoogleTokenVerifier:
        """Google ID tokens' verifier: only the sign-in function builds it (and needs its settings)."""
        from imagegen.adapters.google_identity import GoogleTokenVerifier, JwksCache

        google = self.settings.google
        return GoogleTokenVerifier(
            JwksCache(google.jwks_url), client_ids=google.client_ids, issuers=google.issuers
        )

    @cached_property
    def auth(self) -> AuthService:
        """Sessions and tokens (PyJWT and its cryptography load here: event-driven functions never do)."""
        from imagegen.adapters.access_tokens import AccessTokens
        from imagegen.repositories.callers import CallerRepository
        from imagegen.repositories.sessions import SessionRepository
        from imagegen.services.auth import AuthService
        from imagegen.services.tokens import RefreshTokens

        settings = self.settings
        access = AccessTokens(
            self._secret, settings.tokens.issuer, settings.tokens.audience, settings.tokens.access_ttl_seconds
        )
        return AuthService(
            lambda: self.google,
            lambda: self.users,
            SessionRepository(self.aws.dynamodb, settings.accounts.sessions_table),
            CallerRepository(
                self.aws.dynamodb,
                settings.accounts.sessions_table,
                settings.accounts.users_table,
                settings.coins.table,
            ),
            access,
            RefreshTokens(self._secret),
            settings.tokens.refresh_ttl_seconds,
            clock=self.clock,
        )

    @cached_property
    def image_records(self) -> ImageRepository:
        from imagegen.repositories.images import ImageRepository

        return ImageRepository(self.aws.dynamodb, self.settings.images.table)

    @cached_property
    def storage(self) -> ImageStorage:
        from imagegen.adapters.storage import ImageStorage

        return ImageStorage(
            self.aws.s3,
            self.settings.images.bucket,
            self.settings.images.url_ttl_seconds,
            self.aws.credentials,
        )

    @cached_property
    def images(self) -> ImageService:
        from imagegen.services.images import ImageService

        return ImageService(
            self.image_records,
            self.storage,
            self.coins,
            self.transactions,
            self.cursors,
            self.count,
            shares=lambda: self.share_records,  # a delete removes the image's link with it
        )

    @cached_property
    def image_views(self) -> ImageViews:
        """Images as the API shows them, their URLs signed by the storage."""
        from imagegen.api.views import ImageViews

        return ImageViews(self.storage)

    @cached_property
    def share_records(self) -> ShareRecords:
        """Images' share links, in the shares table."""
        from imagegen.repositories.shares import ShareRepository

        return ShareRepository(self.aws.dynamodb, self.settings.shares.table)

    @cached_property
    def shared_pages(self) -> ConfiguredSource[SharedPages]:
        """The site share links are pages of, and the bucket their images are in (the
        ``SHARED_PAGES_PARAMETER`` SSM parameter), as they are at each call."""
        from imagegen.models.shares import SharedPages

        name = self.settings.shared_views.pages_parameter
        return ConfiguredSource(
            lambda: str(self.aws.ssm.get(name, max_age=CATALOG_MAX_AGE_SECONDS)), SharedPages.parse
        )

    @cached_property
    def shared_images(self) -> ImageRepository:
        """The image records, as the share links read them (the shared views' name of the table)."""
        from imagegen.repositories.images import ImageRepository

        return ImageRepository(self.aws.dynamodb, self.settings.shared_views.images_table)

    @cached_property
    def shares(self) -> ShareService:
        """Share links: made by owners, opened by anyone, each client address's views a minute limited."""
        from imagegen.repositories.rate_limits import RateLimitRepository
        from imagegen.repositories.users import UserRepository
        from imagegen.services.rate_limits import LimitedAction, RateLimits
        from imagegen.services.shares import ShareService, ShareTokens

        settings = self.settings
        views = settings.shared_views
        return ShareService(
            self.share_records,
            self.shared_images,
            UserRepository(self.aws.dynamodb, settings.accounts.users_table),
            self.transactions,
            ShareTokens(self._secret),
            RateLimits(
                RateLimitRepository(self.aws.dynamodb, views.limits_table),
                {LimitedAction.VIEW_SHARED: views.views_per_minute},
            ),
        )

    @cached_property
    def share_views(self) -> ShareViews:
        """Share links as the API shows them: on the site, their images' URLs signed for the bucket the
        shared pages' parameter names."""
        from imagegen.adapters.storage import ImageStorage
        from imagegen.api.share_views import ShareViews

        storage = ImageStorage(
            self.aws.s3,
            self.shared_pages().images_bucket,
            self.settings.shared_views.image_url_ttl_seconds,
            self.aws.credentials,
        )
        return ShareViews(storage, lambda: self.shared_pages().site_url, self.settings.languages.languages)

    @cached_property
    def export_records(self) -> ExportRepository:
        """Each user's latest export, in the users table."""
        from imagegen.repositories.exports import ExportRepository

        return ExportRepository(self.aws.dynamodb, self.settings.exports.table)

    @cached_property
    def exports(self) -> ExportService:
        """Starting an export (its message on the export queue) and reading the latest."""
        from imagegen.adapters.queue import ExportQueue
        from imagegen.services.exports import ExportService

        return ExportService(self.export_records, ExportQueue(self.aws.sqs, self.settings.exports.queue_url))

    @cached_property
    def export_sources(self) -> RecordSources:
        """What an export holds of a user, read from the tables, each as the API shows it."""
        from imagegen.repositories.coins import CoinRepository
        from imagegen.repositories.export_sources import RecordSources
        from imagegen.repositories.orders import OrderRepository
        from imagegen.repositories.users import UserRepository

        exports = self.settings.exports
        return RecordSources(
            UserRepository(self.aws.dynamodb, exports.table),
            self.image_records,
            CoinRepository(self.aws.dynamodb, self.settings.coins.table),
            OrderRepository(self.aws.dynamodb, exports.orders_table) if exports.orders_table else None,
            lambda image: self.image_views.image(image, with_urls=False).to_json(),
        )

    @cached_property
    def export_worker(self) -> ExportWorker:
        """Builds exports' zips from the export queue's messages."""
        from imagegen.services.exports import ExportWorker

        return ExportWorker(
            self.export_records,
            self.export_sources,
            self.storage,
            progress_every=self.settings.exports.progress_every,
            seconds_left=self.invocation.seconds_left,
        )

    @cached_property
    def rate_limits(self) -> RateLimits:
        """Each user's allowance of generations and uploads a minute."""
        from imagegen.repositories.rate_limits import RateLimitRepository
        from imagegen.services.rate_limits import LimitedAction, RateLimits

        limits = self.settings.limits
        return RateLimits(
            RateLimitRepository(self.aws.dynamodb, limits.table),
            {
                LimitedAction.GENERATE: limits.generations_per_minute,
                LimitedAction.UPLOAD: limits.uploads_per_minute,
            },
        )

    @cached_property
    def uploads(self) -> UploadService:
        from imagegen.services.uploads import UploadService

        uploads = self.settings.uploads
        return UploadService(
            self.images,
            self.storage,
            self.rate_limits,
            accepted_types=uploads.accepted_types,
            max_upload_bytes=uploads.max_bytes,
            cost=uploads.cost,
            url_ttl_seconds=uploads.url_ttl_seconds,
        )

    @cached_property
    def pipeline(self) -> ImagePipeline:
        from imagegen.adapters.imaging import Imaging
        from imagegen.services.pipeline import ImagePipeline

        return ImagePipeline(
            self.image_records,
            self.images,
            self.storage,
            max_upload_bytes=self.settings.uploads.max_bytes,
            imaging=Imaging(max_pixels=self.settings.images.max_pixels),
        )

    @cached_property
    def sweeper(self) -> Sweeper:
        from imagegen.services.sweeper import Sweeper

        settings = self.settings
        return Sweeper(
            self.image_records,
            self.images,
            upload_deadline=timedelta(seconds=settings.uploads.url_ttl_seconds) + UPLOAD_SWEEP_MARGIN,
            generation_deadline=timedelta(seconds=settings.generation.deadline_seconds),
        )

    @cached_property
    def generation(self) -> GenerationService:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        from imagegen.adapters.queue import GenerationQueue
        from imagegen.services.generation import GenerationService

        generation = self.settings.generation
        persistence = DynamoDBPersistenceLayer(
            table_name=generation.idempotency_table, boto3_client=self.aws.dynamodb
        )
        return GenerationService(
            self.image_records,
            self.images,
            self.coins,
            self.transactions,
            GenerationQueue(self.aws.sqs, generation.queue_url),
            self.catalog,
            self.rate_limits,
            persistence=persistence,
            idempotency=self.idempotency,
        )

    @cached_property
    def idempotency(self) -> IdempotencyConfig:
        """Keys scoped to the user; a key reused with another body is refused; kept for a day."""
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

        return IdempotencyConfig(
            event_key_jmespath="[userId, key]",
            payload_validation_jmespath="request",
            expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
        )

    @cached_property
    def generation_worker(self) -> GenerationWorker:
        from imagegen.adapters.gemini import GeminiClient
        from imagegen.adapters.imaging import Imaging
        from imagegen.services.generation_worker import GenerationWorker

        settings = self.settings
        gemini = GeminiClient(
            settings.gemini.base_url,
            api_key=self._gemini_api_key,
            timeout_seconds=settings.gemini.timeout_seconds,
            backoff_base_seconds=settings.gemini.backoff_base_seconds,
        )
        return GenerationWorker(
            self.image_records,
            self.images,
            self.storage,
            gemini,
            self.catalog,
            max_receives=settings.generation.max_receives,
            imaging=Imaging(max_pixels=settings.images.max_pixels),
            on_retired_model=self._count_retired_model,
        )

    @cached_property
    def payments(self) -> PaymentService:
        """Coin packs, checkouts and orders, and Stripe's events (only the payments functions load
        Stripe's SDK, here)."""
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        from imagegen.adapters.stripe_gateway import StripeGateway
        from imagegen.repositories.orders import OrderRepository, PaymentEventRepository
        from imagegen.repositories.rate_limits import RateLimitRepository
        from imagegen.repositories.users import UserRepository
        from imagegen.services.payments import PaymentService
        from imagegen.services.rate_limits import LimitedAction, RateLimits

        settings = self.settings
        payments = settings.payments
        gateway = StripeGateway(
            api_key=lambda: self._secret_text(payments.stripe_api_key_secret_arn),
            webhook_secrets=lambda: self._secret_text(payments.stripe_webhook_secret_arn).split(","),
            api_base=payments.stripe_api_base or None,
        )
        return PaymentService(
            packs=lambda: payments.coin_packs,
            orders=OrderRepository(self.aws.dynamodb, payments.orders_table),
            events=PaymentEventRepository(self.aws.dynamodb, payments.events_table),
            users=UserRepository(self.aws.dynamodb, settings.accounts.users_table),
            coins=self.coins,
            transactions=self.transactions,
            gateway=lambda: gateway,
            limits=RateLimits(
                RateLimitRepository(self.aws.dynamodb, payments.checkout_limits_table),
                {LimitedAction.CHECKOUT: payments.checkouts_per_day},
            ),
            cursors=self.cursors,
            return_url=payments.return_url,
            count=self.count,
            persistence=DynamoDBPersistenceLayer(
                table_name=payments.checkout_idempotency_table, boto3_client=self.aws.dynamodb
            ),
            idempotency=self.idempotency,
        )

    def _secret_text(self, arn: str) -> str:
        """A secret's text, from Secrets Manager, cached for warm invocations (never logged)."""
        return str(self.aws.secrets.get(arn, max_age=SECRET_MAX_AGE_SECONDS)).strip()

    def _count_retired_model(self, model: ModelSpec) -> None:
        """Count a request refused because Google no longer serves the model (alarmed on)."""
        from imagegen.metrics import Metric

        self.count(Metric.RETIRED_MODEL, model=model.id, providerModel=model.provider_model)

    def _gemini_api_key(self) -> str:
        return self._secret_text(self.settings.gemini.api_key_secret_arn)
