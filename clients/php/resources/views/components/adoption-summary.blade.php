<script type="module" src="{{ $asset }}"@if ($nonce !== '') nonce="{{ $nonce }}"@endif></script>
<adoption-summary src="{{ $src }}"@if ($windows) windows="{{ $windows }}"@endif @if ($nonce !== '') nonce="{{ $nonce }}"@endif></adoption-summary>
