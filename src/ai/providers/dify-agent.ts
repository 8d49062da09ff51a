/**
 * `EXTERNAL_SERVICE_TYPE=dify`: a Dify chat app through `POST {base}/chat-messages` (`response_mode:
 * 'streaming'`, server-sent events).
 *
 * Dify keeps the conversation itself: only the newest user message is sent, with the user's Dify
 * `conversation_id`, which lives in `request.session` under `DIFY_CONVERSATION_KEY` so each WeChat user keeps
 * their own Dify conversation (across instances when the context store is Redis). A conversation Dify no longer
 * knows (404) is started afresh once. Dify runs its own tools, so this adapter never emits `tool-call`.
 *
 * Images: a URL is passed as a `remote_url` file; bytes are uploaded first (`/files/upload`) and passed as a
 * `local_file`. Files the app produces (`message_file`) become `media` parts.
 */
import {
  AgentError,
  errorKindOfStatus,
  lastUserText,
  type Agent,
  type AgentCapabilities,
  type AgentPart,
  type AgentRequest,
  type ImagePart,
} from '../agent.js';
import { parseJsonObject } from './provider-errors.js';
import { readServerSentEvents } from './read-server-sent-events.js';
import { bearerHeader, postToService } from './request-service.js';
import { baseUrlOf } from './service-url.js';

export const DIFY_DEFAULT_URL = 'https://api.dify.ai/v1';
/** The session key of the user's Dify `conversation_id`. */
export const DIFY_CONVERSATION_KEY = 'dify.conversationId';
/** Dify requires a query; an image sent without words is asked about with this. */
const IMAGE_ONLY_QUERY = '[image]';

export interface DifyAgentOptions {
  /** The API base (`https://api.dify.ai/v1`) or the full `…/chat-messages` endpoint; default `DIFY_DEFAULT_URL`. */
  url?: string;
  /** The app's API key (`app-…`). */
  apiKey?: string;
  /** Provider name in logs, metrics and errors; default `dify`. */
  name?: string;
}

type DifyFile = { type: 'image'; transfer_method: 'remote_url'; url: string } | { type: 'image'; transfer_method: 'local_file'; upload_file_id: string };

/** One streamed event's data; Dify names the event inside the JSON. */
interface DifyEvent {
  event?: string;
  answer?: string;
  conversation_id?: string;
  /** `message_file`. */
  type?: string;
  url?: string;
  belongs_to?: string;
  /** `message_end`. */
  metadata?: { usage?: { prompt_tokens?: number; completion_tokens?: number } };
  /** `error`. */
  status?: number;
  code?: string;
  message?: string;
}

export class DifyAgent implements Agent {
  readonly name: string;
  readonly capabilities: AgentCapabilities = { vision: true, imageUrls: true };
  /** The API base, e.g. `https://api.dify.ai/v1`. */
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;

  constructor(options: DifyAgentOptions = {}) {
    this.name = options.name ?? 'dify';
    this.baseUrl = baseUrlOf(options.url ?? DIFY_DEFAULT_URL, '/chat-messages');
    this.apiKey = options.apiKey;
  }

  async *stream(request: AgentRequest): AsyncGenerator<AgentPart> {
    const stored = request.session.get(DIFY_CONVERSATION_KEY);
    const conversationId = typeof stored === 'string' ? stored : '';
    const files = await this.filesOf(request);
    const text = lastUserText(request.messages);
    const body = {
      inputs: {},
      query: text === '' && files.length > 0 ? IMAGE_ONLY_QUERY : text,
      response_mode: 'streaming',
      conversation_id: conversationId,
      user: request.userId,
      ...(files.length > 0 ? { files } : {}),
    };
    let response: Response;
    try {
      response = await this.post('/chat-messages', body, request.signal);
    } catch (error) {
      if (!(error instanceof AgentError && error.status === 404 && conversationId !== '')) throw error;
      // The stored conversation was deleted or belongs to another app: start a new one.
      request.session.set(DIFY_CONVERSATION_KEY, undefined);
      response = await this.post('/chat-messages', { ...body, conversation_id: '' }, request.signal);
    }
    if (response.body === null) throw new AgentError(this.name, 'invalid', `${this.name}: empty response body`);

    for await (const serverEvent of readServerSentEvents(this.name, response.body, request.signal)) {
      const event = parseJsonObject(serverEvent.data) as DifyEvent | undefined;
      if (event === undefined) continue;
      if (typeof event.conversation_id === 'string' && event.conversation_id !== '' && event.conversation_id !== conversationId) {
        request.session.set(DIFY_CONVERSATION_KEY, event.conversation_id);
      }
      switch (event.event ?? serverEvent.event) {
        case 'message':
        case 'agent_message':
          if (typeof event.answer === 'string' && event.answer !== '') yield { type: 'text-delta', text: event.answer };
          break;
        case 'message_file':
          if (event.type === 'image' && event.belongs_to !== 'user' && typeof event.url === 'string') {
            yield { type: 'media', kind: 'image', url: new URL(event.url, this.baseUrl).href };
          }
          break;
        case 'message_end':
          yield { type: 'finish', reason: 'stop', usage: usageOf(event) };
          return;
        case 'error': {
          const kind = typeof event.status === 'number' ? errorKindOfStatus(event.status) : 'server';
          const detail = [event.code, event.message].filter((value) => typeof value === 'string' && value !== '').join(': ');
          throw new AgentError(this.name, kind, `${this.name}: ${detail || 'error event'}`, typeof event.status === 'number' ? { status: event.status } : {});
        }
        // `ping`, workflow/node progress, `agent_thought`, `tts_message`, `message_replace` (moderation replacing
        // an answer already streamed, which cannot be taken back): nothing to pass on.
      }
    }
    throw new AgentError(this.name, 'network', `${this.name}: the stream ended before message_end`);
  }

  private post(endpointPath: string, body: unknown, signal: AbortSignal): Promise<Response> {
    return postToService(this.name, { url: `${this.baseUrl}${endpointPath}`, body, headers: bearerHeader(this.apiKey), signal });
  }

  private async filesOf(request: AgentRequest): Promise<DifyFile[]> {
    const images = newestUserImages(request);
    const files: DifyFile[] = [];
    for (const image of images) {
      if (image.url !== undefined && image.url !== '' && !image.url.startsWith('data:')) {
        files.push({ type: 'image', transfer_method: 'remote_url', url: image.url });
      } else if (image.data !== undefined) {
        files.push({ type: 'image', transfer_method: 'local_file', upload_file_id: await this.upload(image, image.data, request) });
      }
    }
    return files;
  }

  /** `POST /files/upload` (multipart `file` + `user`) → the file's id for `local_file`. */
  private async upload(image: ImagePart, data: Uint8Array, request: AgentRequest): Promise<string> {
    const mimeType = image.mimeType ?? 'image/jpeg';
    const form = new FormData();
    form.append('file', new Blob([data], { type: mimeType }), `image.${mimeType.split('/')[1] ?? 'jpg'}`);
    form.append('user', request.userId);
    const response = await this.post('/files/upload', form, request.signal);
    const answer = parseJsonObject(await response.text());
    if (typeof answer?.id !== 'string') throw new AgentError(this.name, 'invalid', `${this.name}: the file upload answered no id`);
    return answer.id;
  }
}

/** The images of the newest user message: Dify only ever sees that message. */
function newestUserImages(request: AgentRequest): ImagePart[] {
  const newest = request.messages.findLast((message) => message.role === 'user');
  if (newest === undefined || newest.role !== 'user' || typeof newest.content === 'string') return [];
  return newest.content.filter((part): part is ImagePart => part.type === 'image');
}

function usageOf(event: DifyEvent): { inputTokens?: number; outputTokens?: number } {
  const usage = event.metadata?.usage;
  return {
    ...(typeof usage?.prompt_tokens === 'number' ? { inputTokens: usage.prompt_tokens } : {}),
    ...(typeof usage?.completion_tokens === 'number' ? { outputTokens: usage.completion_tokens } : {}),
  };
}
