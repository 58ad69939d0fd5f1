# expect: passed
import copy


def split_batch(x, n):
    k = min(n, len(x))
    chunks = []
    start = 0
    for i in range(k):
        size = len(x) // k + (1 if i < len(x) % k else 0)
        chunks.append(x[start : start + size])
        start += size
    return chunks


def data_parallel_grads(model, loss_fn, x, y, n_replicas):
    replica = copy.deepcopy(model)
    per_chunk = []
    for xc, yc in zip(split_batch(x, n_replicas), split_batch(y, n_replicas)):
        replica.zero_grad(set_to_none=True)
        loss_fn(replica(xc), yc).backward()
        per_chunk.append(
            (len(xc), {name: p.grad.clone() for name, p in replica.named_parameters()})
        )
    result = {}
    for name, _ in model.named_parameters():
        result[name] = sum(size * grads[name] for size, grads in per_chunk) / len(x)
    return result
