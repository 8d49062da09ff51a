// An example custom agent: EXTERNAL_SERVICE_TYPE=custom CUSTOM_SERVICE_MODULE=./examples/custom-agent.mjs
//
// A custom agent is any object with a `name` and an async generator `stream(request)` — the same interface the
// built-in services implement (src/ai/agent.ts). It may be the module's default export, an export named
// `agent`, or — as here — a factory that receives `{ cwd, config, log }` once at start-up and returns the agent.
//
// `stream(request)` gets:
//   request.userId    the user's openid (stable per user)
//   request.messages  the conversation so far, newest user message last: { role, content }
//   request.signal    aborted on timeout or shutdown — stop promptly when it fires
//   request.session   small per-user state kept across turns: get(key) / set(key, value)
// and yields parts, in order: any number of { type: 'text-delta', text }, then exactly one
// { type: 'finish', reason: 'stop' }. Throwing (or yielding { type: 'error', error }) reports a failure; the
// user then gets EXTERNAL_SERVICE_ERROR_MSG.
//
// Plain JavaScript runs under `node` as it is; a TypeScript module needs `node --import tsx` or a build step.

const ANSWERS = [
  { keywords: ['hours', 'open', '营业'], answer: 'We are open 9:00–18:00, Monday to Friday.' },
  { keywords: ['price', 'cost', '价格'], answer: 'Prices are on our website, under “Plans”.' },
];

/** The newest user message's text (content is a string, or parts of which the text ones count). */
function lastUserText(messages) {
  const newest = messages.findLast((message) => message.role === 'user');
  if (newest === undefined) return '';
  if (typeof newest.content === 'string') return newest.content;
  return newest.content.filter((part) => part.type === 'text').map((part) => part.text).join('\n');
}

export default function createKeywordAgent({ log } = {}) {
  return {
    name: 'keyword-example',
    async *stream(request) {
      const question = lastUserText(request.messages).toLowerCase();
      const match = ANSWERS.find((entry) => entry.keywords.some((keyword) => question.includes(keyword)));
      log?.debug({ matched: match !== undefined }, 'keyword agent answered');

      // Count the user's questions in the session, to show per-user state.
      const asked = Number(request.session.get('example.asked') ?? 0) + 1;
      request.session.set('example.asked', asked);

      // Two deltas: a greeting first (the user may see it before the rest is ready), then the answer.
      yield { type: 'text-delta', text: asked === 1 ? 'Hello! ' : 'Welcome back! ' };
      if (request.signal.aborted) throw request.signal.reason;
      yield { type: 'text-delta', text: match ? match.answer : 'Ask me about our hours or prices.' };
      yield { type: 'finish', reason: 'stop' };
    },
  };
}
