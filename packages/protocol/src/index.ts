export * from './constants.js';
export * from './rules.js';
export * from './names.js';
export * from './schemas.js';
export * from './parse.js';
export type * from './types.js';
