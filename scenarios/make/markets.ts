// Coin profiles of the generated scenarios: open interest per venue, volume and depth relative to it, account
// long/short ratios, leverage caps and OKX contract sizes. Levels follow the calm scenarios' (2025 public venue
// figures, scenarios/calm-day-1.json) for BTC, ETH and SOL and are rounded approximations for the other coins;
// Hyperliquid trades about half the volume per unit of open interest.
import type { CoinPlan, Listing, Venue } from './build.js';
import { VENUES } from './build.js';

export interface Profile {
  base: string;
  price: number;
  vol: number;
  rho: number;
  oi: Record<Venue, number>;
  volumeToOi: number;
  depthToOi: number;
  longShortRatio: number;
  maxLeverage: Record<Venue, number>;
  contractSize?: number;
  /** Binance and Bybit settle funding every 4 h (many alts). */
  fourHourly?: boolean;
}

const lev = (b: number, y: number, o: number, h: number): Record<Venue, number> => ({
  binanceusdm: b,
  bybit: y,
  okx: o,
  hyperliquid: h,
});
const oi = (b: number, y: number, o: number, h: number): Record<Venue, number> => ({
  binanceusdm: b * 1e9,
  bybit: y * 1e9,
  okx: o * 1e9,
  hyperliquid: h * 1e9,
});

export const PROFILES = {
  BTC: {
    base: 'BTC',
    price: 112_000,
    vol: 0.42,
    rho: 1,
    oi: oi(13.5, 7.6, 4.2, 5.6),
    volumeToOi: 0.95,
    depthToOi: 0.004,
    longShortRatio: 1.9,
    maxLeverage: lev(125, 100, 100, 40),
    contractSize: 0.01,
  },
  ETH: {
    base: 'ETH',
    price: 4200,
    vol: 0.6,
    rho: 0.85,
    oi: oi(8.9, 5.0, 2.7, 3.6),
    volumeToOi: 1.2,
    depthToOi: 0.0036,
    longShortRatio: 2.2,
    maxLeverage: lev(100, 100, 100, 25),
    contractSize: 0.1,
  },
  SOL: {
    base: 'SOL',
    price: 200,
    vol: 0.75,
    rho: 0.75,
    oi: oi(2.5, 1.4, 0.75, 1.0),
    volumeToOi: 1.5,
    depthToOi: 0.003,
    longShortRatio: 3.0,
    maxLeverage: lev(75, 50, 50, 20),
    contractSize: 1,
  },
  XRP: {
    base: 'XRP',
    price: 2.9,
    vol: 0.75,
    rho: 0.65,
    oi: oi(1.6, 0.9, 0.45, 0.5),
    volumeToOi: 1.3,
    depthToOi: 0.003,
    longShortRatio: 2.6,
    maxLeverage: lev(75, 50, 50, 20),
    contractSize: 100,
  },
  DOGE: {
    base: 'DOGE',
    price: 0.23,
    vol: 0.85,
    rho: 0.65,
    oi: oi(1.3, 0.7, 0.35, 0.4),
    volumeToOi: 1.6,
    depthToOi: 0.0028,
    longShortRatio: 2.4,
    maxLeverage: lev(75, 50, 50, 20),
    contractSize: 1000,
    fourHourly: true,
  },
  LINK: {
    base: 'LINK',
    price: 22,
    vol: 0.8,
    rho: 0.6,
    oi: oi(0.55, 0.3, 0.12, 0.15),
    volumeToOi: 1.4,
    depthToOi: 0.0035,
    longShortRatio: 2.8,
    maxLeverage: lev(75, 50, 50, 10),
    contractSize: 1,
    fourHourly: true,
  },
  AVAX: {
    base: 'AVAX',
    price: 28,
    vol: 0.85,
    rho: 0.6,
    oi: oi(0.45, 0.25, 0.1, 0.12),
    volumeToOi: 1.5,
    depthToOi: 0.0032,
    longShortRatio: 2.5,
    maxLeverage: lev(75, 50, 50, 10),
    contractSize: 1,
    fourHourly: true,
  },
  SUI: {
    base: 'SUI',
    price: 3.5,
    vol: 0.95,
    rho: 0.55,
    oi: oi(0.9, 0.5, 0.2, 0.3),
    volumeToOi: 1.6,
    depthToOi: 0.003,
    longShortRatio: 2.3,
    maxLeverage: lev(75, 50, 50, 10),
    contractSize: 1,
    fourHourly: true,
  },
  WIF: {
    base: 'WIF',
    price: 0.9,
    vol: 1.2,
    rho: 0.5,
    oi: oi(0.35, 0.2, 0.08, 0.15),
    volumeToOi: 2.2,
    depthToOi: 0.0032,
    longShortRatio: 2.0,
    maxLeverage: lev(75, 50, 50, 10),
    contractSize: 1,
    fourHourly: true,
  },
  HYPE: {
    base: 'HYPE',
    price: 45,
    vol: 0.9,
    rho: 0.55,
    oi: oi(0.9, 0.6, 0.25, 1.6),
    volumeToOi: 1.2,
    depthToOi: 0.0025,
    longShortRatio: 2.0,
    maxLeverage: lev(75, 50, 50, 10),
    contractSize: 0.1,
    fourHourly: true,
  },
} satisfies Record<string, Profile>;

/** Small per-venue differences in funding at rest (per 8 h). */
const FUNDING_OFFSET: Record<Venue, number> = {
  binanceusdm: 0,
  bybit: 0.000008,
  okx: -0.000004,
  hyperliquid: 0.000003,
};

export interface CoinOptions extends Partial<Omit<CoinPlan, 'base' | 'venues'>> {
  /** Venues listing the coin (default all four). */
  on?: readonly Venue[];
  /** Open interest, volume and depth scaled by this factor (another era, another venue mix). */
  scale?: number;
  /** Overrides of the profile. */
  profile?: Partial<Profile>;
  listing?: Partial<Record<Venue, Partial<Listing>>>;
}

/** A coin plan from a profile: listings on each venue, funding near 0.01% per 8 h unless told otherwise. */
export function coin(name: keyof typeof PROFILES, options: CoinOptions = {}): CoinPlan {
  const profile: Profile = { ...PROFILES[name], ...options.profile };
  const scale = options.scale ?? 1;
  const venues: Partial<Record<Venue, Listing>> = {};
  for (const venue of options.on ?? VENUES) {
    const oiUsd = profile.oi[venue] * scale;
    const hyper = venue === 'hyperliquid';
    venues[venue] = {
      oiUsd,
      volumeUsd: oiUsd * profile.volumeToOi * (hyper ? 0.5 : 1),
      depthUsd: oiUsd * profile.depthToOi * (hyper ? 0.9 : 1),
      fundingOffset: FUNDING_OFFSET[venue],
      ...(hyper
        ? {}
        : { longShortRatio: profile.longShortRatio * (venue === 'bybit' ? 1.02 : venue === 'okx' ? 0.97 : 1) }),
      maxLeverage: profile.maxLeverage[venue],
      ...(venue === 'okx' && profile.contractSize !== undefined ? { contractSize: profile.contractSize } : {}),
      ...(profile.fourHourly === true && (venue === 'binanceusdm' || venue === 'bybit')
        ? { fundingIntervalHours: 4 as const }
        : {}),
      ...options.listing?.[venue],
    };
  }
  const { on: _on, scale: _scale, profile: _profile, listing: _listing, ...rest } = options;
  return {
    base: profile.base,
    price: profile.price,
    vol: profile.vol,
    rho: profile.rho,
    funding8h: 0.0001,
    longShortRatio: profile.longShortRatio,
    venues,
    ...rest,
  };
}
