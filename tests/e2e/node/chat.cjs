// openai-node as its users write it, against maruntime (tests/e2e/test_node_client.py).
// Usage: node chat.cjs <base url>; prints one JSON object with what each call returned.
const OpenAI = require("openai");
const { zodResponseFormat } = require("openai/helpers/zod");
const { z } = require("zod");

async function main(baseURL) {
  const client = new OpenAI({ baseURL, apiKey: "none", maxRetries: 0 });
  const model = "sgr_agent";

  // A conversation resent every turn: the answer continues the waiting session.
  const messages = [{ role: "user", content: "Weather there?" }];
  const question = await client.chat.completions.create({ model, messages });
  messages.push(
    { role: "assistant", content: question.choices[0].message.content },
    { role: "user", content: "Oslo" },
  );
  const answer = await client.chat.completions.create({ model, messages });

  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "Stream it" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let streamed = "";
  let finishReasons = [];
  let usage = null;
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      streamed += choice.delta.content || "";
      if (choice.finish_reason) finishReasons.push(choice.finish_reason);
    }
    if (chunk.usage) usage = chunk.usage;
  }

  const Weather = z.object({ city: z.string(), temperature_c: z.number().int() });
  const parsed = await client.chat.completions.parse({
    model,
    messages: [{ role: "user", content: "Weather in Oslo?" }],
    response_format: zodResponseFormat(Weather, "weather"),
  });

  return {
    question: question.choices[0].message.content,
    sessions: [question.session_id, answer.session_id],
    answer: answer.choices[0].message.content,
    streamed,
    finishReasons,
    usage,
    parsed: parsed.choices[0].message.parsed,
  };
}

main(process.argv[2]).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
