/** At most this many items per commerce request (contract §3); more → 413. */
export const MAX_ITEMS_PER_REQUEST = 1000;
/** 1,000 orders of ~20 items each fit comfortably; larger bodies → 413 before parsing. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
