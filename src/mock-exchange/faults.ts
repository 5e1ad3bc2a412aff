// Which injected or scripted fault applies to a request or a socket, and the body transformations of the kinds that
// alter a real answer (malformed, truncated, empty, missing field).
import type { ExchangeId } from '../domain/market.js';
import type { FaultSpec } from './scenario.js';

export interface ActiveFault {
  id: number;
  spec: FaultSpec;
  /** Requests it may still shape (Infinity without `count`). */
  remaining: number;
  pattern: RegExp | undefined;
}

const SOCKET_KINDS: ReadonlySet<FaultSpec['kind']> = new Set(['dropSockets', 'silence']);

export function isSocketFault(spec: FaultSpec): boolean {
  return SOCKET_KINDS.has(spec.kind);
}

/** A glob (`*` = anything) anchored at both ends; a missing leading slash is added. */
export function routePattern(glob: string): RegExp {
  const normalized = glob.startsWith('/') ? glob : `/${glob}`;
  const escaped = normalized.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export function describeFault(spec: FaultSpec): string {
  switch (spec.kind) {
    case 'status':
      return `status ${spec.status}`;
    case 'delay':
      return `delay ${spec.delayMs}ms`;
    case 'missingField':
      return `missingField ${spec.field}`;
    default:
      return spec.kind;
  }
}

export class FaultBook {
  private nextId = 1;
  private readonly faults: ActiveFault[] = [];

  add(spec: FaultSpec): ActiveFault {
    const fault: ActiveFault = {
      id: this.nextId++,
      spec,
      remaining: spec.count ?? Number.POSITIVE_INFINITY,
      pattern: spec.route === undefined ? undefined : routePattern(spec.route),
    };
    this.faults.push(fault);
    return fault;
  }

  remove(id: number): void {
    const index = this.faults.findIndex((f) => f.id === id);
    if (index >= 0) this.faults.splice(index, 1);
  }

  clear(): void {
    this.faults.length = 0;
  }

  all(): readonly ActiveFault[] {
    return this.faults;
  }

  /** Whether the fault's window covers this scenario offset and it has requests left. */
  isActive(fault: ActiveFault, offsetSec: number): boolean {
    const from = fault.spec.fromSec ?? 0;
    const to = fault.spec.toSec ?? Number.POSITIVE_INFINITY;
    return fault.remaining > 0 && offsetSec >= from && offsetSec < to;
  }

  /** The first REST fault that applies to this request; consumes one of its `count`. */
  takeForRequest(venue: ExchangeId, route: string, offsetSec: number): ActiveFault | undefined {
    for (const fault of this.faults) {
      if (isSocketFault(fault.spec)) continue;
      if (fault.spec.venue !== undefined && fault.spec.venue !== venue) continue;
      if (fault.pattern !== undefined && !fault.pattern.test(route)) continue;
      if (!this.isActive(fault, offsetSec)) continue;
      fault.remaining -= 1;
      return fault;
    }
    return undefined;
  }

  /** Active socket faults of this kind for a venue. */
  socketFaults(venue: ExchangeId, kind: 'dropSockets' | 'silence', offsetSec: number): ActiveFault[] {
    return this.faults.filter(
      (f) =>
        f.spec.kind === kind && (f.spec.venue === undefined || f.spec.venue === venue) && this.isActive(f, offsetSec),
    );
  }
}

/**
 * Removes `field` from every object in a JSON value, at any depth; with `onlyWhere`, only from objects in which some
 * direct value equals that string.
 */
export function dropField(value: unknown, field: string, onlyWhere?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => dropField(item, field, onlyWhere));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const drop = onlyWhere === undefined || entries.some(([, inner]) => inner === onlyWhere);
    const out: Record<string, unknown> = {};
    for (const [key, inner] of entries) {
      if (!(drop && key === field)) out[key] = dropField(inner, field, onlyWhere);
    }
    return out;
  }
  return value;
}

/** Not JSON: single-quoted keys and a trailing comma, the way a broken proxy or a debug page might answer. */
export function malformed(body: string): string {
  return body.replace(/"([A-Za-z_][A-Za-z0-9_]*)":/g, "'$1':").replace(/([}\]])$/, ',$1');
}

/** The first half of the body (at least one character short of the whole). */
export function truncated(body: string): string {
  return body.slice(0, Math.max(1, Math.floor(body.length / 2)));
}
