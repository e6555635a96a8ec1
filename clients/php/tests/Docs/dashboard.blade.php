{{-- A dashboard view: the widget module (with the page's CSP nonce) and the element. --}}
<x-adoption-ledger::summary src="/admin/adoption/summary" />
