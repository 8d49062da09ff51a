import type { MenuAction, MenuActions } from './wechat-menu.js';

/**
 * The click actions the running service uses: read by the menu click handler on every CLICK, replaced as a whole
 * when an operator publishes a new menu (`PUT /admin/api/menu`). One table is shared by the router and the admin
 * API of one process; it is not shared across instances — each instance starts from `MENU_FILE`.
 */
export class MenuActionTable {
  #actions: MenuActions;

  constructor(actions: MenuActions = new Map()) {
    this.#actions = new Map(actions);
  }

  get(key: string): MenuAction | undefined {
    return this.#actions.get(key);
  }

  get size(): number {
    return this.#actions.size;
  }

  /** Swaps in a new set at once, so a click never sees half of the old and half of the new menu. */
  replace(actions: MenuActions): void {
    this.#actions = new Map(actions);
  }

  /** `{ key: action }`, for JSON answers. */
  toJSON(): Record<string, MenuAction> {
    return Object.fromEntries(this.#actions);
  }
}
