/** The outcome of one delivery of a message. */
export interface DeliveryResult {
  /** The passive reply XML (plaintext), or '' for no reply (`success`). */
  replyXml: string;
  /**
   * How the answer was found: computed now, waited for, taken from an earlier delivery, none in time, a failure;
   * `customer-service`: answered `success` and the answer follows as customer-service messages; `held`: no
   * answer now — WeChat must time out and retry (see `later`); `placeholder`: the last delivery, answered with the
   * pickup placeholder.
   */
  source: 'handled' | 'waited' | 'cached' | 'window-passed' | 'failed' | 'customer-service' | 'held' | 'placeholder';
  messageKey: string;
  /**
   * Only for `held`: resolves with the reply if it becomes ready while WeChat may still be waiting on this
   * delivery (then it is still worth sending), or undefined. The HTTP layer answers nothing before it settles and
   * stops waiting when WeChat closes the connection.
   */
  later?: Promise<string | undefined>;
  /** Only for `held`: called when the reply `later` resolved with was written to WeChat (the delivery was still open). */
  lateReplySent?: () => void;
}

/**
 * What a handler returns when the message became a job on the answer queue: the answer comes from the job's
 * worker, and WeChat's deliveries of the message are held until it records the answer's route.
 */
export interface QueuedAnswer {
  type: 'queued';
}

export function isQueuedAnswer(value: unknown): value is QueuedAnswer {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'queued';
}
