import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A certificate of a PEM file that expires before a deadline (or could not be read). */
export interface ExpiringCertificate {
  file: string;
  subject?: string;
  /** ISO 8601 (`validTo`), or absent when the file could not be read. */
  expiry_date?: string;
  error?: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Every certificate in the PEM file (a chain or a CA bundle) that is no longer valid at `deadline`, as RabbitMQ's
 * certificate-expiration check reports them. A file that cannot be read or parsed counts as failing: a listener
 * could not be restarted with it.
 */
export function certificatesExpiringBy(file: string, deadline: Date): ExpiringCertificate[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return [{ file, error: `cannot read: ${(error as Error).message}` }];
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return [{ file, error: 'no PEM certificate in the file' }];
  const expiring: ExpiringCertificate[] = [];
  for (const block of blocks) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch (error) {
      expiring.push({ file, error: `not a certificate: ${(error as Error).message}` });
      continue;
    }
    const validTo = new Date(certificate.validTo);
    if (validTo.getTime() <= deadline.getTime()) {
      expiring.push({ file, subject: certificate.subject.replace(/\n/g, ', '), expiry_date: validTo.toISOString() });
    }
  }
  return expiring;
}
