// The IIFE bundle's entry: `window.Sumidata.Sumidata`, plus `Sumidata.init(options)`.
import { Sumidata, type SumidataOptions } from './index.js';

export { Sumidata, CONVERSION_FIELDS, describeUserAgent, uuid } from './index.js';
export function init(options: SumidataOptions): Sumidata {
  return new Sumidata(options);
}
