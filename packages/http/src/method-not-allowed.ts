/**
 * What the app answers when its router finds no route: 405 with `Allow` when
 * the path exists for other methods, else 404. Decided in `onRequest`,
 * before a body is read: a route that does not exist has no body to parse
 * (a QUERY without Content-Type, or a POST of broken JSON, to a missing path
 * is still a 404); Node drops the unread body after the answer
 * (`unread-body.ts`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { instanceOf, PROBLEM_CONTENT_TYPE, problemBody } from './problem.ts';
import type { RouteMethods } from './route-methods.ts';
import { closeIfUndrainable } from './unread-body.ts';

/** Sends the 404 or 405 problem for a request no route matched. */
export function answerUnrouted(routes: RouteMethods, request: FastifyRequest, reply: FastifyReply, drainLimitBytes: number): FastifyReply {
  const allow = routes.allowed(pathOf(request.url));
  const notAllowed = allow.length > 0 && !allow.includes(request.method);
  const problem = notAllowed
    ? problemBody(
        'method-not-allowed',
        'This path does not support the request method; Allow lists the ones it does',
        instanceOf(request.url),
        request.id,
      )
    : problemBody('not-found', 'No resource at this path', instanceOf(request.url), request.id);
  if (notAllowed) reply.header('allow', allow.join(', '));
  closeIfUndrainable(request, reply, drainLimitBytes);
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** The path of an origin-form (`/a?b`) or absolute-form (`http://host/a?b`) target, as the router reads it. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  const target = query === -1 ? url : url.slice(0, query);
  if (target.startsWith('/')) return target;
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/.exec(target);
  return absolute === null ? target : target.slice(absolute[0].length) || '/';
}
