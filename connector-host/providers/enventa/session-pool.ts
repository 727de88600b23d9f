import { EnventaSession, type Identity } from "../../simulator/session.ts";
import type { ErpDatabase } from "../../simulator/store.ts";
import { SharedMutex } from "../../runtime/shared-mutex.ts";

/**
 * enventa's Login() is not thread-safe in the whole process (ADR-023 A.5), so every pool of
 * every BusinessUnit, in every thread, logs in through this one lock: concurrent first calls
 * queue, never collide. A worker thread adopts the main thread's (`loginLock.adopt`).
 */
export const loginLock = new SharedMutex();

export interface SessionPoolOptions {
  size: number;
  /** Release sessions after this long without a real call (they cost an ERP licence). */
  idleReleaseMs: number;
}

/**
 * The sessions of one BusinessUnit (like eGate's FSGlobalPool): created lazily or by warm-up,
 * logged in once (>2 s), reused, replaced when the ERP expires or drops one, and released
 * after prolonged inactivity.
 */
export class SessionPool {
  private readonly idle: EnventaSession[] = [];
  private live = 0;
  private lastRealUse = Date.now();
  logins = 0;

  constructor(
    private readonly erp: ErpDatabase,
    private readonly identity: Identity,
    private readonly opts: SessionPoolOptions,
  ) {}

  get size(): number {
    return this.live;
  }

  private async create(): Promise<EnventaSession> {
    const session = new EnventaSession(this.erp);
    await loginLock.run(() => session.login(this.identity));
    this.logins++;
    this.live++;
    return session;
  }

  /** Rents a logged-in session; `release(broken)` returns it, or drops it if it broke. */
  async acquire(): Promise<{ resource: EnventaSession; release: (broken: boolean) => void }> {
    let session = this.idle.pop();
    while (session && !session.loggedIn) {
      this.live--;
      session = this.idle.pop();
    }
    session ??= await this.create();
    const s = session;
    return {
      resource: s,
      release: (broken) => {
        if (broken || !s.loggedIn) {
          s.logout();
          this.live--;
        } else this.idle.push(s);
      },
    };
  }

  /** Logs in `size` sessions ahead of the first call. */
  async warmUp(): Promise<void> {
    const leases = [];
    while (this.live < this.opts.size) leases.push(await this.acquire());
    for (const l of leases) l.release(false);
  }

  /** Records a real (non keep-alive) call, which postpones releasing the sessions. */
  touch(): void {
    this.lastRealUse = Date.now();
  }

  /** Whether the pool has been idle long enough to give its sessions back. */
  shouldRelease(now = Date.now()): boolean {
    return this.live > 0 && now - this.lastRealUse > this.opts.idleReleaseMs;
  }

  /** Whether sessions are held and should be pinged so the ERP does not expire them. */
  get holdsSessions(): boolean {
    return this.idle.length > 0;
  }

  releaseIdle(): number {
    const n = this.idle.length;
    for (const s of this.idle.splice(0)) {
      s.logout();
      this.live--;
    }
    return n;
  }
}
