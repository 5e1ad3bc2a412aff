// The venue adapters by ccxt id.
import type { ExchangeId } from '../../domain/market.js';
import type { VenueAdapter } from './adapter.js';
import { binanceusdmAdapter } from './binanceusdm.js';
import { bybitAdapter } from './bybit.js';
import { hyperliquidAdapter } from './hyperliquid.js';
import { okxAdapter } from './okx.js';

export const VENUE_ADAPTERS: Readonly<Record<ExchangeId, VenueAdapter>> = {
  binanceusdm: binanceusdmAdapter,
  bybit: bybitAdapter,
  okx: okxAdapter,
  hyperliquid: hyperliquidAdapter,
};
