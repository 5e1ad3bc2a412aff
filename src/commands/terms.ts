import type { CommandDefinition } from './command.js';
import { stringArg } from './command.js';
import { userError } from './errors.js';
import { reply } from './reply.js';
import { fitText } from './text.js';
import { GLOSSARY_TOPICS, type GlossaryTopic } from '../glossary/types.js';

const TOPIC_NAMES: Record<GlossaryTopic, string> = {
  spiral: 'The spiral',
  liquidation: 'Liquidation',
  margin: 'Margin and leverage',
  derivatives: 'Perpetual futures',
  'market-structure': 'Market structure',
  'risk-management': 'Managing risk',
};

function isTopic(value: string): value is GlossaryTopic {
  return (GLOSSARY_TOPICS as readonly string[]).includes(value);
}

export const termsCommand: CommandDefinition = {
  name: 'terms',
  description: 'List the glossary, or one topic of it',
  usage: 'terms [topic]',
  options: [
    {
      name: 'topic',
      description: `one of ${GLOSSARY_TOPICS.join(', ')}`,
      type: 'string',
      maxLength: 40,
      autocomplete: 'topic',
    },
  ],
  run(args, { services }) {
    const entries = [...services.glossary.entries].sort((a, b) => a.title.localeCompare(b.title));
    const topic = stringArg(args, 'topic')?.toLowerCase();
    if (topic === undefined) {
      const fields = GLOSSARY_TOPICS.map((t) => {
        const titles = entries.filter((e) => e.topic === t).map((e) => e.title);
        return { name: `${TOPIC_NAMES[t]} (${t}, ${titles.length})`, value: titles.join(', ') || '(none yet)' };
      });
      return reply(
        'Glossary',
        `${entries.length} entries in ${GLOSSARY_TOPICS.length} topics. Look one up with "term <name>".`,
        {
          fields,
          data: {
            topics: GLOSSARY_TOPICS.map((t) => ({
              topic: t,
              entries: entries.filter((e) => e.topic === t).map((e) => e.id),
            })),
          },
        },
      );
    }
    if (!isTopic(topic)) return userError('unknownTopic', { topic, topics: GLOSSARY_TOPICS.join(', ') });
    const inTopic = entries.filter((e) => e.topic === topic);
    const lines = inTopic.map((e) => `${e.title}: ${fitText(e.short, 120, '')}`.trimEnd());
    return reply(`Glossary: ${TOPIC_NAMES[topic]}`, lines.join('\n'), {
      data: { topic, entries: inTopic.map((e) => ({ id: e.id, title: e.title, short: e.short })) },
    });
  },
};
