/** The status and body of a GET. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export async function httpGet(url: string): Promise<HttpAnswer> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

/**
 * GETs `url` until `accept` says yes, backing off from 10 ms to 200 ms between tries, and returns
 * that answer. No deadline of its own: the test's timeout bounds the wait (an endpoint that reports
 * state, such as a metrics page, has no event to wait on from outside).
 */
export async function pollUntil(url: string, accept: (answer: HttpAnswer) => boolean): Promise<HttpAnswer> {
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const answer = await httpGet(url).catch(() => undefined);
    if (answer && accept(answer)) return answer;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
