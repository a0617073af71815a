#!/bin/sh
# Vendors a package's browser build from npm, pinned: `make vendor` runs it for what vendor.json names.
# Usage: fetch.sh <package> <version> <file in the package> <file here>
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz)
cp "$work/package/$3" "$here/$4"
cp "$work/package/LICENSE" "$here/LICENSE-$1"
echo "$4: $(sha256sum "$here/$4" | cut -d' ' -f1) (put it in vendor.json)"
