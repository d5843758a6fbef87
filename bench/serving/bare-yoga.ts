/**
 * The serving benchmark's baseline: bare graphql-yoga on plain node:http, with Lamina's own schema
 * (as its introspection gives it) and resolvers that return Lamina's answers as constants — what
 * parsing, validating, executing and serializing the same documents costs without Lamina.
 * `bare-yoga.ts <schema.graphql> <answers.json>`: answers maps a root field's alias to its value.
 * Prints one JSON line `{ "port": n }` once listening; runs until killed.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { buildSchema, type GraphQLResolveInfo } from 'graphql';

const [schemaFile, answersFile] = process.argv.slice(2);
const typeDefs = readFileSync(schemaFile!, 'utf8');
const answers = JSON.parse(readFileSync(answersFile!, 'utf8')) as Record<string, unknown>;
const constant = (_root: unknown, _args: unknown, _context: unknown, info: GraphQLResolveInfo) => answers[String(info.path.key)];
const queryFields = Object.keys(buildSchema(typeDefs).getQueryType()!.getFields());
const yoga = createYoga({
  schema: createSchema({ typeDefs, resolvers: { Query: Object.fromEntries(queryFields.map((f) => [f, constant])) } }),
  logging: false,
  graphiql: false,
});
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
