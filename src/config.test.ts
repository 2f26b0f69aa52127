import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8787);
    expect(config.TALLY_DATA_DIR).toBe('./.tally');
    expect(config.TRUST_PROXY).toBe(false);
  });

  it('names the bad variable and what it accepts', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT="eighty"/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL.*postgres/);
    expect(() => loadConfig({ TRUST_PROXY: 'maybe' })).toThrow(/TRUST_PROXY/);
  });

  it('parses booleans and numbers', () => {
    const config = loadConfig({ TRUST_PROXY: 'true', BATCH_MAX_ROWS: '200', JOBS_ENABLED: '0' });
    expect(config.TRUST_PROXY).toBe(true);
    expect(config.BATCH_MAX_ROWS).toBe(200);
    expect(config.JOBS_ENABLED).toBe(false);
  });
});
