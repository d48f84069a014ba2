// Types of index.mjs, so TypeScript tests can import it.
export declare const INTERMEDIATE_KEY: RegExp;
export interface JanitorObject {
  key: string;
  lastModified: Date;
}
export interface JanitorStore {
  list(prefix: string, continuationToken: string | undefined): Promise<{ objects: JanitorObject[]; next: string | undefined }>;
  deleteKeys(keys: string[]): Promise<{ errors: { key: string; message: string }[] }>;
}
export declare function isExpiredIntermediate(key: string, lastModified: Date, now: Date, days: number): boolean;
export declare function sweep(options: {
  store: JanitorStore;
  days: number;
  now?: Date;
  log?: (line: string) => void;
}): Promise<{ scanned: number; deleted: number; failed: number }>;
export declare function s3Store(bucket: string): Promise<JanitorStore>;
export declare function handler(): Promise<{ scanned: number; deleted: number; failed: number }>;
