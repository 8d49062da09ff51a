/** One problem in a menu: where (`button[1].sub_button[2].name`; '' for the whole document) and what is wrong. */
export interface MenuIssue {
  path: string;
  message: string;
}

/**
 * Thrown when a menu — a `MENU_FILE` or the body of `PUT /admin/api/menu` — cannot be used. It lists every
 * problem found, not just the first, so a menu is fixed in one go.
 */
export class MenuFileError extends Error {
  override readonly name = 'MenuFileError';
  readonly issues: MenuIssue[];

  constructor(issues: MenuIssue[]) {
    const problems = issues.map(formatMenuIssue);
    super(`Invalid menu (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}): ${problems.join('; ')}`);
    this.issues = issues;
  }

  /** One line per issue: `path: message`. */
  get problems(): string[] {
    return this.issues.map(formatMenuIssue);
  }
}

export function formatMenuIssue(issue: MenuIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}
