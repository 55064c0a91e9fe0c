import type { RequestHandler } from 'express';
import type { Logger } from '../logging/logger.js';
import { createRedactor } from '../logging/redact.js';
import type { BridgeMetrics } from '../observability/metrics.js';

/** Options of {@link metricsHandler}. */
export interface MetricsHandlerOptions {
  metrics: BridgeMetrics;
  /** Every configured secret: none may ever appear in the text. */
  secrets: readonly string[];
  logger: Logger;
}

/**
 * GET /metrics: the Prometheus text exposition of one bridge. Labels come from the
 * configuration and fixed sets only; still, the text is checked for every configured secret
 * before it leaves, and a hit is blanked and logged (as a bug to report, without the value).
 */
export function metricsHandler(options: MetricsHandlerOptions): RequestHandler {
  // A label value is written escaped (backslash, double quote, newline), so look for that form too.
  const redactor = createRedactor(options.secrets.flatMap((secret) => [secret, secret.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')]));
  return async (_req, res, next) => {
    try {
      const { contentType, text } = await options.metrics.render();
      const isLeaking = redactor.isLeaking(text);
      if (isLeaking) options.logger.error('a configured secret appeared in the metrics text; it was blanked (please report this bug)');
      res.setHeader('Cache-Control', 'no-store');
      res.type(contentType).send(isLeaking ? redactor.text(text) : text);
    } catch (err) {
      next(err);
    }
  };
}
