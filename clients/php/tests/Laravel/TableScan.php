<?php

declare(strict_types=1);

namespace AdoptionLedger\Tests\Laravel;

use AsyncAws\Core\AbstractApi;
use AsyncAws\Core\Request;
use AsyncAws\Core\RequestContext;
use AsyncAws\Core\Stream\StringStream;

/** The ledger table's rows, read straight from DynamoDB Local (a Scan: tests only). */
final class TableScan extends AbstractApi
{
    /**
     * Every row of `$tenant`, each as attribute => plain value (S, N and M of S).
     *
     * @return list<array<string, mixed>>
     */
    public function rowsOf(string $table, string $tenant): array
    {
        $rows = [];
        $start = null;
        do {
            $body = ['TableName' => $table, 'ConsistentRead' => true] + (null === $start ? [] : ['ExclusiveStartKey' => $start]);
            $request = new Request('POST', '/', [], [
                'content-type' => 'application/x-amz-json-1.0',
                'x-amz-target' => 'DynamoDB_20120810.Scan',
            ], StringStream::create(json_encode($body, \JSON_THROW_ON_ERROR)));
            $page = $this->getResponse($request, new RequestContext(['operation' => 'Scan']))->toArray();
            foreach ($page['Items'] ?? [] as $item) {
                if (($item['tenant_id']['S'] ?? null) === $tenant) {
                    $rows[] = array_map([self::class, 'plain'], $item);
                }
            }
            $start = $page['LastEvaluatedKey'] ?? null;
        } while (null !== $start);

        return $rows;
    }

    private static function plain(array $value): mixed
    {
        return match (true) {
            isset($value['S']) => $value['S'],
            isset($value['N']) => $value['N'],
            isset($value['M']) => array_map([self::class, 'plain'], $value['M']),
            default => $value,
        };
    }

    protected function getEndpointMetadata(?string $region): array
    {
        return [
            'endpoint' => (string) $this->getConfiguration()->get('endpoint'),
            'signRegion' => $region ?? 'us-east-1',
            'signService' => 'dynamodb',
            'signVersions' => ['v4'],
        ];
    }
}
