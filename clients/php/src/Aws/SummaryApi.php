<?php

declare(strict_types=1);

namespace AdoptionLedger\Aws;

use AsyncAws\Core\AbstractApi;
use AsyncAws\Core\Exception\Http\HttpException;
use AsyncAws\Core\Exception\Http\NetworkException;
use AsyncAws\Core\Request;
use AsyncAws\Core\RequestContext;
use AsyncAws\Core\Stream\StringStream;

/**
 * The summary API behind API Gateway's IAM authorisation: a GET signed with
 * SigV4 for `execute-api`. Configure its `endpoint` as the SummaryApiUrl output.
 */
final class SummaryApi extends AbstractApi
{
    /** Answers sent once more: a gateway's or the function's passing failure, never a refusal or "come back later" (503). */
    private const RETRIED = [500, 502];

    /**
     * The API's answer for a window. A GET reads only: an answer of 500 or
     * 502 (a gateway's or the function's passing failure) is asked once more.
     *
     * @return array{status: int, body: string} the API's answer, whatever its status
     *
     * @throws \RuntimeException when the API did not answer in time
     */
    public function summary(string $window): array
    {
        $answer = $this->summaryOnce($window);
        if (\in_array($answer['status'], self::RETRIED, true)) {
            $answer = $this->summaryOnce($window);
        }

        return $answer;
    }

    /** @return array{status: int, body: string} */
    private function summaryOnce(string $window): array
    {
        $request = new Request('GET', '/summary', ['window' => $window], ['accept' => 'application/json'], StringStream::create(''));
        $response = $this->getResponse($request, new RequestContext(['operation' => 'Summary']));
        try {
            $response->resolve();

            return ['status' => $response->getStatusCode(), 'body' => $response->getContent()];
        } catch (HttpException $e) {
            return ['status' => $e->getResponse()->getStatusCode(), 'body' => $e->getResponse()->getContent(false)];
        } catch (NetworkException $e) {
            throw new \RuntimeException('the summary API did not answer: '.($e->getPrevious()?->getMessage() ?? $e->getMessage()), 0, $e);
        }
    }

    protected function getEndpointMetadata(?string $region): array
    {
        $region = $region ?? $this->getConfiguration()->get('region');

        return [
            // Always configured: the SummaryApiUrl output (an execute-api URL of its own).
            'endpoint' => (string) $this->getConfiguration()->get('endpoint'),
            'signRegion' => $region,
            'signService' => 'execute-api',
            'signVersions' => ['v4'],
        ];
    }
}
