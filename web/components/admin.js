// Admins: users searched, coins granted or taken with a reason, roles, a user's images.
import { SessionEnded } from "../api.js";
import { coins, imageName, said, state, updateUser } from "../store.js";
import { pagedList } from "../paged-list.js";

const SEARCH_DELAY_MS = 250; // typing is searched once it pauses

export const Admin = {
  // The search is the API's: users whose email starts with what is typed, however many there are.
  mixins: [pagedList("/users", "users", { query: (view) => (view.search ? { email: view.search } : {}) })],
  data: () => ({ search: "", chosen: null, amount: 100, reason: "", confirming: false, notice: "", failed: "", images: [] }),
  watch: {
    // A confirmation is of what was submitted: changed, it must be submitted again.
    amount() {
      this.confirming = false;
    },
    reason() {
      this.confirming = false;
    },
    search() {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.restart(), SEARCH_DELAY_MS);
    },
  },
  unmounted() {
    clearTimeout(this.searchTimer);
  },
  methods: {
    imageName,
    coins,
    /** Run an action on the chosen user: its error next to the actions, its success in place of an old error. */
    async manage(action) {
      try {
        await action();
        this.failed = "";
      } catch (error) {
        if (error instanceof SessionEnded) return;
        this.failed = said(error);
        this.notice = "";
        this.confirming = false;
      }
    },
    choose(user) {
      this.chosen = user;
      this.confirming = false;
      this.notice = "";
      this.failed = "";
      this.images = [];
      return this.manage(async () => {
        this.images = (await state.api.request("GET", `/users/${user.id}/images`, undefined, { query: { limit: 12 } })).images;
      });
    },
    isAdmin(user) {
      return user.roles.includes("ADMIN");
    },
    replace(user) {
      this.items = this.items.map((each) => (each.id === user.id ? user : each));
      if (this.chosen && this.chosen.id === user.id) this.chosen = user;
      updateUser(user);
    },
    grant() {
      return this.manage(async () => {
        const body = { amount: this.amount, reason: this.reason };
        const changed = (await state.api.request("POST", `/users/${this.chosen.id}/coins`, body)).user;
        this.replace(changed);
        this.notice = `${this.amount > 0 ? "Granted" : "Took"} ${coins(Math.abs(this.amount))}: ${changed.email} now has ${coins(changed.coins)}.`;
        this.confirming = false;
        this.reason = "";
      });
    },
    toggleAdmin(user) {
      return this.manage(async () => {
        const roles = this.isAdmin(user) ? user.roles.filter((role) => role !== "ADMIN") : [...user.roles, "ADMIN"];
        this.replace((await state.api.request("PUT", `/users/${user.id}`, { roles })).user);
        this.notice = "";
      });
    },
  },
  template: `
    <section class="card admin" aria-label="Users">
      <h2>Users</h2>
      <label>Search by email <input v-model.trim="search" type="search" name="search" placeholder="the start of an email" maxlength="254"></label>
      <p v-if="search && loading" class="hint" role="status">Searching…</p>
      <p v-else-if="search && done && items.length === 0" class="hint" role="status">No user's email starts with “{{ search }}”.</p>
      <p v-if="error" class="error" role="alert">{{ error }}</p>
      <div class="scroll">
        <table>
          <thead><tr><th scope="col">Email</th><th scope="col" class="roomy">Name</th><th scope="col" class="roomy">Roles</th><th scope="col" class="number">Coins</th><th scope="col"></th></tr></thead>
          <tbody>
            <tr v-for="user in items" :key="user.id" :aria-label="user.email">
              <td class="email">{{ user.email }}</td><td class="roomy">{{ user.firstName }} {{ user.lastName }}</td><td class="roomy">{{ user.roles.join(", ") }}</td>
              <td class="number">{{ user.coins }}</td>
              <td><button type="button" class="quiet" :aria-label="'Manage ' + user.email" @click="choose(user)">Manage</button></td>
            </tr>
          </tbody>
        </table>
      </div>
      <div class="end"><button v-if="!done" type="button" :disabled="loading" @click="more">{{ loading ? "Loading…" : "Load more users" }}</button></div>
      <div v-if="chosen" class="manage" role="group" :aria-label="'Manage ' + chosen.email">
        <h3>{{ chosen.email }} · {{ coins(chosen.coins) }}</h3>
        <form @submit.prevent="confirming = true" aria-label="Grant or take coins">
          <label>Coins to grant (negative: to take) <input v-model.number="amount" type="number" name="amount" required step="1"></label>
          <label>Reason <input v-model.trim="reason" name="reason" required maxlength="200"></label>
          <button type="submit" :disabled="!amount || !reason">{{ amount < 0 ? "Take" : "Grant" }} coins</button>
        </form>
        <div v-if="confirming" class="confirm" role="group" aria-label="Confirm the coins">
          <p>{{ amount < 0 ? "Take" : "Grant" }} {{ coins(Math.abs(amount)) }} {{ amount < 0 ? "from" : "to" }} {{ chosen.email }} ("{{ reason }}")? It is recorded in their coin history.</p>
          <div class="row">
            <button type="button" @click="grant">Yes, {{ amount < 0 ? "take" : "grant" }} {{ Math.abs(amount) === 1 ? "it" : "them" }}</button>
            <button type="button" class="quiet" @click="confirming = false">Cancel</button>
          </div>
        </div>
        <p v-if="notice" role="status" class="ok">{{ notice }}</p>
        <p v-if="failed" role="alert" class="error">{{ failed }}</p>
        <button v-if="!isAdmin(chosen)" type="button" class="quiet" @click="toggleAdmin(chosen)">Make admin</button>
        <button v-else-if="chosen.id !== $root.user.id" type="button" class="quiet" @click="toggleAdmin(chosen)">Remove admin</button>
        <h3>Their latest images</h3>
        <ul class="strip" role="list">
          <li v-for="image in images" :key="image.id"><img v-if="image.thumbnailUrl" :src="image.thumbnailUrl" :alt="imageName(image)"><span v-else>{{ image.status }}</span></li>
        </ul>
        <p v-if="images.length === 0" class="hint">No images.</p>
      </div>
    </section>`,
};
