/**
 * The schema library for every input: zod's tree-shakable `mini` build, which keeps each Lambda
 * bundle small, with English error messages loaded once for all schemas. Import it as a
 * namespace (`import * as z from './schema'`) so that bundling keeps only what is used.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';
