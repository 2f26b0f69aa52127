import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Ingestion metrics, registered on the app's registry (one per process or per test app). */
export interface IngestMetrics {
  /** outcome: accepted | duplicate | rejected | bot | overloaded | unavailable */
  events: Counter<'type' | 'outcome'>;
  rejections: Counter<'reason'>;
  requests: Counter<'status'>;
  batchRows: Histogram;
  copySeconds: Histogram;
  requestSeconds: Histogram;
  inflightRows: Gauge;
  spoolEvents: Gauge;
  spoolBytes: Gauge;
  spooledEvents: Counter;
  spoolRejectedEvents: Counter;
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  const existing = registry.getSingleMetric('tally_ingest_events_total');
  if (existing) throw new Error('ingest metrics already registered on this registry');
  return {
    events: new Counter({
      name: 'tally_ingest_events_total',
      help: 'Events received by /collect, by type and outcome (accepted, duplicate, rejected, bot, overloaded, unavailable)',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    rejections: new Counter({
      name: 'tally_ingest_rejections_total',
      help: 'Rejected events by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    requests: new Counter({ name: 'tally_ingest_requests_total', help: 'Ingest HTTP requests by status', labelNames: ['status'], registers: [registry] }),
    batchRows: new Histogram({
      name: 'tally_ingest_batch_rows',
      help: 'Events per write transaction (group commit)',
      buckets: [1, 5, 20, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    }),
    copySeconds: new Histogram({
      name: 'tally_ingest_write_seconds',
      help: 'Duration of one write transaction (dedup + sessions + COPY + commit)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'tally_ingest_request_seconds',
      help: 'POST /collect from its headers being read to its answer (body, validation, the wait for the commit); client-side latency adds the queueing before',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    inflightRows: new Gauge({ name: 'tally_ingest_inflight_rows', help: 'Accepted rows not yet durable', registers: [registry] }),
    spoolEvents: new Gauge({ name: 'tally_ingest_spool_events', help: 'Events in the local spool awaiting replay', registers: [registry] }),
    spoolBytes: new Gauge({ name: 'tally_ingest_spool_bytes', help: 'Bytes of spool segments on disk', registers: [registry] }),
    spooledEvents: new Counter({ name: 'tally_ingest_spooled_events_total', help: 'Events written to the spool while PostgreSQL was unreachable', registers: [registry] }),
    spoolRejectedEvents: new Counter({
      name: 'tally_ingest_spool_rejected_events_total',
      help: 'Spooled events PostgreSQL refused on replay, set aside in the spool folder (rejected.ndjson)',
      registers: [registry],
    }),
  };
}
