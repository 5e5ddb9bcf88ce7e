import type { AckTarget } from './ack.ts';

/**
 * A CRI message whose P pieces end one generation of a file, waiting for its F piece at the start
 * of the next generation of the same path (a rotation fell between the pieces).
 */
export interface PendingPartial {
  /** Timestamp bytes of its first piece. */
  timestamp: Buffer;
  stderr: boolean;
  /** The pieces joined so far. */
  message: Buffer;
  /** Cut at maxMessageBytes already. */
  truncated: boolean;
  /** File offset of the first piece in the generation it started in. */
  offset: number;
}

/**
 * A {@link PendingPartial} handed to the next generation. The joined message keeps the id it
 * would have had in its first generation, and that generation is acknowledged up to its end only
 * together with it: a kill -9 before the message is stored leaves the first generation's
 * checkpoint at the message's start, so a restart reads and joins it again.
 */
export interface CarriedPartial extends PendingPartial {
  /** Document-id prefix of the first generation. */
  idPrefix: string;
  /** Acknowledgement of the first generation. */
  target: AckTarget;
  /** End of the first generation: acknowledged with the joined message. */
  endPosition: number;
  /**
   * The next generation does not continue it (its first line is not CRI or came more than
   * {@link maxPieceGapMs} later, or it ends unread): ship it as it is, unfinished, in its first
   * generation, which is then acknowledged to its end.
   */
  abandon(): void;
}

/**
 * Longest time between a message's last P piece and its F piece across a rotation. The runtime
 * writes the pieces of a line back to back and the rotation between them takes milliseconds; a
 * longer gap means the generation that held the F piece is gone (deleted while the agent was down)
 * and the next one starts with another message, which must not be joined to the pieces.
 */
export const maxPieceGapMs = 1000;
