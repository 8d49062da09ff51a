/**
 * One small in-process channel per simulated user (openid): events are published to whoever follows that user
 * now and kept in a short history, so a page that opens (or reloads) later still shows the conversation.
 *
 * Bounded: `historySize` events per user and `maxUsers` users; beyond that the user whose chat is idle longest
 * (and that nobody follows) is forgotten.
 */
import type { SimulatorEvent, SimulatorEventBody } from './simulator-events.js';

export type SimulatorListener = (event: SimulatorEvent) => void;

interface Channel {
  history: SimulatorEvent[];
  listeners: Set<SimulatorListener>;
}

export interface SimulatorHubOptions {
  /** Default 100. */
  historySize?: number;
  /** Default 200. */
  maxUsers?: number;
}

export class SimulatorHub {
  readonly #historySize: number;
  readonly #maxUsers: number;
  /** In order of last use (a Map keeps insertion order; a used channel is moved to the end). */
  readonly #channels = new Map<string, Channel>();
  #nextId = 1;

  constructor(options: SimulatorHubOptions = {}) {
    this.#historySize = options.historySize ?? 100;
    this.#maxUsers = options.maxUsers ?? 200;
  }

  publish(openId: string, body: SimulatorEventBody): SimulatorEvent {
    const event: SimulatorEvent = { ...body, id: this.#nextId++, at: Date.now() };
    const channel = this.#channel(openId);
    channel.history.push(event);
    if (channel.history.length > this.#historySize) channel.history.splice(0, channel.history.length - this.#historySize);
    for (const listener of [...channel.listeners]) {
      // One follower's failure (a closed stream) must not keep the event from the others.
      try {
        listener(event);
      } catch {
        channel.listeners.delete(listener);
      }
    }
    return event;
  }

  /** Follows `openId`'s events from now on; returns the unsubscribe. */
  subscribe(openId: string, listener: SimulatorListener): () => void {
    const channel = this.#channel(openId);
    channel.listeners.add(listener);
    return () => void channel.listeners.delete(listener);
  }

  /** The events kept for `openId`, oldest first. */
  history(openId: string): SimulatorEvent[] {
    return [...(this.#channels.get(openId)?.history ?? [])];
  }

  #channel(openId: string): Channel {
    let channel = this.#channels.get(openId);
    if (channel) {
      this.#channels.delete(openId);
    } else {
      channel = { history: [], listeners: new Set() };
      this.#evictIdle();
    }
    this.#channels.set(openId, channel);
    return channel;
  }

  #evictIdle(): void {
    if (this.#channels.size < this.#maxUsers) return;
    for (const [openId, channel] of this.#channels) {
      if (channel.listeners.size === 0) {
        this.#channels.delete(openId);
        return;
      }
    }
  }
}
