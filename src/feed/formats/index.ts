// Entry point of the wire-format mappers: createMapper(format, options) and the per-format factories.

import type { MessageMapper } from '../types.js';
import { TickrecError } from '../../errors.js';
import { createBinanceMapper } from './binance.js';
import type { MapperOptions } from './common.js';
import { createOkxMapper } from './okx.js';
import { createTickrecMapper } from './tickrec.js';

export type { MapperOptions } from './common.js';
export { createTickrecMapper } from './tickrec.js';
export { createBinanceMapper } from './binance.js';
export { createOkxMapper } from './okx.js';

export const MAPPER_FORMATS = ['tickrec', 'binance', 'okx'] as const;
export type MapperFormat = (typeof MAPPER_FORMATS)[number];

/** A new mapper for `format`; throws E_CONFIG for an unknown format or a bad option. */
export function createMapper(format: MapperFormat, options: MapperOptions = {}): MessageMapper {
  switch (format) {
    case 'tickrec':
      return createTickrecMapper(options);
    case 'binance':
      return createBinanceMapper(options);
    case 'okx':
      return createOkxMapper(options);
    default:
      throw new TickrecError(
        'E_CONFIG',
        `unknown feed format '${String(format).slice(0, 40)}': expected one of ${MAPPER_FORMATS.join(', ')}.`,
      );
  }
}
