/** The short form of a request: what a person (or a test) varies in an Envoy-shaped CheckRequest. */
export interface RequestShapeBase {
  host?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** mTLS peer as Istio reports it; omit for plaintext. */
  principal?: string;
  /** TCP peer address. */
  sourceIp?: string;
  body?: string;
}
