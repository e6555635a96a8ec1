<?php

declare(strict_types=1);

namespace AdoptionLedger\Aws;

use AsyncAws\Core\AbstractApi;
use AsyncAws\Core\Exception\Http\HttpException;
use AsyncAws\Core\Exception\Http\NetworkException;
use AsyncAws\Core\Request;
use AsyncAws\Core\RequestContext;
use AsyncAws\Core\Stream\StringStream;
use AdoptionLedger\RecordingFailed;

/**
 * Lambda's Invoke API, synchronous (RequestResponse), signed with SigV4 by
 * async-aws/core with the default credential chain (environment, web
 * identity, shared files, container, instance).
 */
final class LambdaApi extends AbstractApi
{
    /**
     * Invokes `$function` with `$payload` and returns its JSON answer.
     *
     * @throws RecordingFailed when Lambda or the function failed, or did not answer in time
     */
    public function invoke(string $function, string $payload): array
    {
        $request = new Request(
            'POST',
            '/2015-03-31/functions/'.rawurlencode($function).'/invocations',
            [],
            ['content-type' => 'application/json', 'x-amz-invocation-type' => 'RequestResponse'],
            StringStream::create($payload),
        );
        $response = $this->getResponse($request, new RequestContext(['operation' => 'Invoke']));
        try {
            $response->resolve();
            $headers = $response->getHeaders();
            $body = $response->getContent();
        } catch (HttpException $e) {
            $status = $e->getResponse()->getStatusCode();
            throw new RecordingFailed(sprintf('Lambda Invoke of %s answered HTTP %d (%s)', $function, $status, $e->getAwsCode() ?? 'no AWS error code'), $status, $e);
        } catch (NetworkException $e) {
            throw new RecordingFailed(sprintf('Lambda Invoke of %s did not answer: %s', $function, $e->getPrevious()?->getMessage() ?? $e->getMessage()), 0, $e);
        }
        if (isset($headers['x-amz-function-error'])) {
            // The function failed (record's storage error): its body is generic.
            throw new RecordingFailed(sprintf('%s failed (%s): %s', $function, $headers['x-amz-function-error'][0], substr($body, 0, 300)));
        }
        try {
            $answer = json_decode($body, true, 32, \JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new RecordingFailed(sprintf('%s answered something that is not JSON', $function), 0, $e);
        }

        return \is_array($answer) ? $answer : ['answer' => $answer];
    }

    /**
     * Lambda's `DryRun` invocation: checks that `$function` exists and that
     * this role may invoke it, without running it (Lambda answers 204), so a
     * check is never counted by the function, its metrics or its alarms.
     *
     * @throws RecordingFailed when Lambda refused or did not answer
     */
    public function dryRun(string $function): int
    {
        $request = new Request(
            'POST',
            '/2015-03-31/functions/'.rawurlencode($function).'/invocations',
            [],
            ['content-type' => 'application/json', 'x-amz-invocation-type' => 'DryRun'],
            StringStream::create(''),
        );
        $response = $this->getResponse($request, new RequestContext(['operation' => 'Invoke']));
        try {
            $response->resolve();

            return $response->getStatusCode();
        } catch (HttpException $e) {
            $status = $e->getResponse()->getStatusCode();
            throw new RecordingFailed(sprintf('Lambda Invoke (DryRun) of %s answered HTTP %d (%s)', $function, $status, $e->getAwsCode() ?? 'no AWS error code'), $status, $e);
        } catch (NetworkException $e) {
            throw new RecordingFailed(sprintf('Lambda Invoke (DryRun) of %s did not answer: %s', $function, $e->getPrevious()?->getMessage() ?? $e->getMessage()), 0, $e);
        }
    }

    protected function getEndpointMetadata(?string $region): array
    {
        $region = $region ?? $this->getConfiguration()->get('region');

        return [
            'endpoint' => "https://lambda.$region.amazonaws.com",
            'signRegion' => $region,
            'signService' => 'lambda',
            'signVersions' => ['v4'],
        ];
    }
}
