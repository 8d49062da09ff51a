// Example extra tools: TOOLS_MODULE=./examples/tools.mjs (for models that call tools, e.g. EXTERNAL_SERVICE_TYPE=openai).
// Export an array of tools made with defineTool (or a function returning one). See docs/agent-tools.md.
import { z } from 'zod';
import { defineTool, ToolError } from '../dist/ai/tools/tool.js';

const OPENING_HOURS = { mon: '9:00–18:00', tue: '9:00–18:00', wed: '9:00–18:00', thu: '9:00–18:00', fri: '9:00–18:00', sat: '10:00–16:00', sun: 'closed' };

export default [
  defineTool({
    name: 'opening_hours',
    description: 'The shop\'s opening hours on a weekday. Use when the user asks when the shop is open.',
    parameters: z.object({ day: z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']).describe('Weekday, three letters') }),
    execute({ day }) {
      const hours = OPENING_HOURS[day];
      if (hours === undefined) throw new ToolError(`unknown day ${day}`);
      return { day, hours };
    },
  }),
];
