import type { Provider, ProviderInfo, ProviderKind } from "./contracts.ts";

export interface ProviderFactory<C> {
  info: ProviderInfo;
  create(config: C): Provider;
}

const major = (v: string) => Number(v.split(".")[0]);

/**
 * Available providers with their versions and capabilities (ADR-023's plugin registry). A
 * connector asks for a kind and a compatible major version and gets the newest that fits.
 */
export class ProviderRegistry {
  private readonly factories: ProviderFactory<never>[] = [];

  register<C>(factory: ProviderFactory<C>): this {
    if (!/^\d+\.\d+\.\d+$/.test(factory.info.version)) throw new Error(`provider ${factory.info.name}: version '${factory.info.version}' is not semver`);
    if (this.factories.some((f) => f.info.name === factory.info.name && f.info.version === factory.info.version)) {
      throw new Error(`provider ${factory.info.name}@${factory.info.version} is already registered`);
    }
    this.factories.push(factory as ProviderFactory<never>);
    return this;
  }

  list(): ProviderInfo[] {
    return this.factories.map((f) => f.info);
  }

  /** The newest registered provider `name` of `kind` whose major version is `majorVersion`. */
  resolve<C>(kind: ProviderKind, name: string, majorVersion?: number): ProviderFactory<C> {
    const candidates = this.factories
      .filter((f) => f.info.name === name && f.info.kinds.includes(kind) && (majorVersion === undefined || major(f.info.version) === majorVersion))
      .sort((a, b) => compareSemver(b.info.version, a.info.version));
    const found = candidates[0];
    if (!found) throw new Error(`no ${kind} provider '${name}'${majorVersion === undefined ? "" : ` with major version ${majorVersion}`} is registered`);
    return found as unknown as ProviderFactory<C>;
  }
}

function compareSemver(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}
