import type { Manifest } from './manifest.ts';

/** Whether a restored backup's origin was verified, and the warnings a user must see when not. */
export interface Origin {
  /** True when a key is configured and the manifest was authenticated with it. */
  originVerified: boolean;
  warnings: string[];
}

/**
 * What a restore can say about where a backup came from: verified only when the manifest was
 * authenticated with the configured key (readManifest checked the MAC); otherwise a warning that
 * anyone with write access to `location` could have written it.
 */
export function originOf(manifest: Manifest, key: Buffer | undefined, location: string): Origin {
  const originVerified = key !== undefined && manifest.authentication !== undefined;
  if (originVerified) return { originVerified, warnings: [] };
  return {
    originVerified,
    warnings: [
      key
        ? `backup ${manifest.id} is not authenticated (manifest format ${manifest.formatVersion}): its origin cannot be verified; ` +
          'it was restored only because --allow-unauthenticated was given'
        : `no backup key is configured, so the origin of backup ${manifest.id} cannot be verified: ` +
          `anyone with write access to ${location} could have written it`,
    ],
  };
}
