# expect: failed mistake=unweighted_mean
def train_step(model, loss_fn, optimizer, inputs, targets):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_epoch(model, loss_fn, optimizer, loader):
    model.train()
    losses = [train_step(model, loss_fn, optimizer, x, y) for x, y in loader]
    return sum(losses) / len(losses)
