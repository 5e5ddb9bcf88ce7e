import protobuf from 'protobufjs';

/**
 * The Prometheus remote_write 1.0 messages (prometheus/prompb types.proto and remote.proto), written
 * here from the specification: only the fields a sender of samples needs. Field numbers are the spec's.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
      },
    },
  },
});

/** One label of a series. */
export interface ProtoLabel {
  name: string;
  value: string;
}

/** One sample: value and milliseconds since the epoch. */
export interface ProtoSample {
  value: number;
  /** protobufjs decodes int64 as a Long-like object or a number; encode takes numbers. */
  timestamp: number | { toString(): string };
}

/** One series: labels sorted by name, `__name__` included, and its samples in time order. */
export interface ProtoTimeSeries {
  labels: ProtoLabel[];
  samples: ProtoSample[];
}

/** The body of a remote_write request before snappy compression. */
export interface ProtoWriteRequest {
  timeseries: ProtoTimeSeries[];
}

/** The reflected WriteRequest type: decoding for tests and tools, the reference encoding the sink's encoder is checked against. */
export const WriteRequestType = root.lookupType('prometheus.WriteRequest');

/** Serialises a WriteRequest to protobuf bytes. */
export function encodeWriteRequest(request: ProtoWriteRequest): Uint8Array {
  return WriteRequestType.encode(request).finish();
}

/** Parses protobuf bytes into a WriteRequest. */
export function decodeWriteRequest(bytes: Uint8Array): ProtoWriteRequest {
  return WriteRequestType.decode(bytes) as unknown as ProtoWriteRequest;
}

/**
 * Prometheus's staleness marker: a NaN with this exact bit pattern ends a series at the receiver;
 * an ordinary NaN is just a value. (The sink's encoder writes these bits itself; this value serves
 * the protobufjs reference encoding in tests and bench/metrics/encode.ts.)
 */
export const staleNaN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;

/** True when a double carries exactly the staleness marker's bits. */
export function isStaleNaN(value: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, true);
  return view.getBigUint64(0, true) === 0x7ff0000000000002n;
}
