// Build contexts from other repositories (spec.source): a checkout of one commit in a temp
// dir, fetched once per repository and commit for a run and removed at its end.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { UserError } from '../lib/errors.js';
import { checkoutCommit, type Checkout } from '../systems/git/index.js';

export interface SourceContext {
  url: string;
  ref?: string;
  commit: string;
  /** Directory of the repository that is the context, relative to its root. */
  path: string;
}

export class SourceContexts {
  private readonly checkouts = new Map<string, Promise<Checkout>>();

  constructor(private readonly parent?: string) {}

  /** The context directory of `source`, checked out on first use. */
  async dir(source: SourceContext, signal?: AbortSignal): Promise<string> {
    const key = `${source.url}\n${source.commit}`;
    let checkout = this.checkouts.get(key);
    if (!checkout) {
      checkout = checkoutCommit(source.url, source.commit, { ...(source.ref ? { ref: source.ref } : {}), ...(this.parent ? { parent: this.parent } : {}), ...(signal ? { signal } : {}) });
      this.checkouts.set(key, checkout);
      checkout.catch(() => this.checkouts.delete(key));
    }
    const { dir } = await checkout;
    const contextDir = resolve(dir, source.path);
    const where = `${source.path} of ${source.url} at ${source.commit.slice(0, 12)}`;
    if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) throw new UserError(`spec.source: ${where} is not a directory`);
    // A symlinked path must not lead out of the checkout.
    const real = relative(realpathSync(dir), realpathSync(contextDir));
    if (real.startsWith(`..${sep}`) || real === '..') throw new UserError(`spec.source: ${where} leads outside the repository`);
    return contextDir;
  }

  /** Removes every checkout; safe to call twice. */
  async removeAll(): Promise<void> {
    const checkouts = [...this.checkouts.values()];
    this.checkouts.clear();
    await Promise.all(
      checkouts.map((c) =>
        c.then(
          (x) => x.remove(),
          () => undefined,
        ),
      ),
    );
  }
}
