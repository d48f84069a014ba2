// Names for the API's generated types (openapi-types.ts, generated from the gateway's OpenAPI
// document): `ApiPaths` for openapi-fetch, `ApiSchemas['RunView']` and so on for the bodies. Types
// only: nothing here exists at run time, so core still imports nothing and does no I/O.
import type { components, operations, paths } from './openapi-types.ts';

export type ApiPaths = paths;
export type ApiSchemas = components['schemas'];
export type ApiOperations = operations;
