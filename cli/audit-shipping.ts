import type { Registry } from 'prom-client';
import { createAuditMetrics } from '../audit/metrics.ts';
import { ShippingDetector } from '../audit/shipping-detector.ts';
import { isAuditIndex } from '../core/audit-documents.ts';
import type { Logger } from '../core/log.ts';
import type { Batch } from '../collectors/logs/pipeline/batch.ts';
import type { LogSink } from '../collectors/logs/sinks/types.ts';

/**
 * Wires the audit detector into the log shipper: a sink that passes every batch to the
 * configured sink and, once the sink acknowledged it, feeds the batch's audit documents to the
 * detector. Only acknowledged events count, so a finding is never reported for an event that
 * did not reach the store.
 */
export function auditDetectingSink(registry: Registry, logger: Logger): (sink: LogSink) => LogSink {
  const detector = new ShippingDetector(createAuditMetrics(registry), logger.child({ component: 'audit' }));
  return (sink) => ({
    name: sink.name,
    start: (signal) => sink.start(signal),
    close: () => sink.close(),
    async write(batch: Batch, signal: AbortSignal): Promise<void> {
      await sink.write(batch, signal);
      for (let i = 0; i < batch.count; i++) {
        if (isAuditIndex(batch.index(i))) detector.observeText(batch.doc(i).toString('utf8'));
      }
    },
  });
}
