// Paging through an API list the way the API pages it (`limit`, `cursor`, `next_cursor`): the
// page-size select, "Previous page" and "Next page". The API only ever hands out the next cursor,
// so the cursors of the pages seen so far are remembered here for "Previous page".
import { byId } from './dom.ts';

export interface CursorPager {
  /** 0-based number of the page to show. */
  readonly page: number;
  /** The cursor of that page (undefined on the first). */
  readonly cursor: string | undefined;
  /** Rows per page, from the page-size select. */
  readonly limit: number;
  /** After a page loaded: keep its next cursor and enable or disable the buttons. */
  loaded(nextCursor: string | undefined): void;
}

export interface CursorPagerHooks {
  /** Before moving on from `page` to the next one. */
  beforeNext?: (page: number) => void;
  /** When the page size changed and paging starts over. */
  onReset?: () => void;
  /** After a move to the next or previous page has loaded. */
  afterMove?: () => void;
}

/** Wires #page-size, #prev-page and #next-page to `load`, which reads the pager's page and cursor. */
export function cursorPager(load: () => Promise<void>, { beforeNext, onReset, afterMove }: CursorPagerHooks = {}): CursorPager {
  const size = byId<HTMLSelectElement>('page-size');
  const prev = byId<HTMLButtonElement>('prev-page');
  const next = byId<HTMLButtonElement>('next-page');
  // cursors[i] is the cursor of page i (page 0 has none).
  let cursors: (string | undefined)[] = [undefined];
  let page = 0;
  let nextCursor: string | undefined;
  const move = (): void => void load().then(() => afterMove?.());

  next.addEventListener('click', () => {
    if (nextCursor === undefined) return;
    beforeNext?.(page);
    cursors = [...cursors.slice(0, page + 1), nextCursor];
    page += 1;
    move();
  });
  prev.addEventListener('click', () => {
    if (page === 0) return;
    page -= 1;
    move();
  });
  size.addEventListener('change', () => {
    cursors = [undefined];
    page = 0;
    onReset?.();
    void load();
  });
  return {
    get page() {
      return page;
    },
    get cursor() {
      return cursors[page];
    },
    get limit() {
      return Number(size.value);
    },
    loaded(cursor) {
      nextCursor = cursor;
      prev.disabled = page === 0;
      next.disabled = cursor === undefined;
    },
  };
}
