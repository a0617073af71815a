// The signed-in page: its views and the header.
import { state } from "../store.js";
import { Admin } from "./admin.js";
import { Coins } from "./coins.js";
import { Create } from "./create.js";
import { Detail } from "./detail.js";
import { Gallery } from "./gallery.js";
import { Upload } from "./upload.js";

export const Shell = {
  components: { Create, Upload, Gallery, Coins, Admin, Detail },
  data: () => ({ view: "gallery", opened: null }),
  computed: {
    admin() {
      return state.user.roles.includes("ADMIN");
    },
  },
  methods: {
    async signOut() {
      await state.api.signOut().catch(() => {});
      state.user = null;
    },
  },
  template: `
    <header class="top">
      <strong>imagegen</strong>
      <nav aria-label="Views">
        <button type="button" class="tab" :aria-current="view === 'gallery' ? 'page' : null" @click="view = 'gallery'">Gallery</button>
        <button type="button" class="tab" :aria-current="view === 'coins' ? 'page' : null" @click="view = 'coins'">Coins</button>
        <button v-if="admin" type="button" class="tab" :aria-current="view === 'admin' ? 'page' : null" @click="view = 'admin'">Admin</button>
      </nav>
      <span class="who">{{ $root.user.firstName || $root.user.email }}</span>
      <span class="coins" aria-label="Coins">{{ $root.user.coins }} coins</span>
      <button type="button" @click="signOut">Sign out</button>
    </header>
    <main>
      <template v-if="view === 'gallery'">
        <div class="makers">
          <Create />
          <Upload />
        </div>
        <Gallery ref="gallery" />
      </template>
      <Coins v-else-if="view === 'coins'" @open="opened = $event" />
      <Admin v-else-if="view === 'admin' && admin" />
      <Detail v-if="opened" :image="opened" @closed="opened = null" @deleted="opened = null" />
    </main>`,
};
