"""Generated training modules: models, loops, evaluation and helpers, with seeded bugs.

Used by the big-file recall test and by the latency benchmark.
"""

from __future__ import annotations

BLOCK = """

class Net{i}(nn.Module):
    def __init__(self, features: int = 16, classes: int = 4) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 32), nn.ReLU(), nn.Dropout(0.1))
        self.head = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def make_loader{i}(samples: int = 64) -> DataLoader:
    inputs, labels = torch.randn(samples, 16), torch.randint(0, 4, (samples,))
    return DataLoader(TensorDataset(inputs, labels), batch_size=16)


def train{i}(model: Net{i}, loader: DataLoader, epochs: int = 2) -> float:
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = StepLR(optimizer, step_size=1)
    criterion = nn.CrossEntropyLoss()
    model.train()
    total = 0.0
    for epoch in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
        print(f"epoch {{epoch}} loss {{loss.item():.4f}} lr {{scheduler.get_last_lr()[0]}}")
    return total


def evaluate{i}(model: Net{i}, loader: DataLoader) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, labels in loader:
            logits = model(inputs)
            correct += int((logits.argmax(dim=1) == labels).sum())
            batch = logits.shape[0]
    return correct / max(batch, 1)


def checkpoint{i}(model: Net{i}, path: str) -> None:
    state = {{"model": model.state_dict(), "parameters": sum(p.numel() for p in model.parameters())}}
    torch.save(state, path)
    for name, parameter in model.named_parameters():
        if parameter.grad is not None and parameter.requires_grad:
            print(name, parameter.grad.norm().item())
"""
HEADER = """import torch
from torch import nn, optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset
"""


BUGS = {
    "    model.eval()\n": "    model.eval()\n    model.eval\n",
    "    criterion = nn.CrossEntropyLoss()\n": (
        "    criterion = nn.CrossEntropyLoss()\n    optim.SGD(model.parameters, lr=0.1)\n"
    ),
    "            total += loss.item()\n": "            total += loss.item\n",
    "            batch = logits.shape[0]\n": "            batch = logits.shape(0)\n",
}
BUGS_PER_BLOCK = len(BUGS)


def training_blocks(lines: int, bug_every: int = 5) -> list[str]:
    """Blocks of a training module of about ``lines`` lines; every ``bug_every``-th block has 4 bugs."""
    blocks = [HEADER]
    i = 0
    while sum(b.count("\n") for b in blocks) < lines:
        block = BLOCK.format(i=i)
        if i % bug_every == 0:
            for correct, buggy in BUGS.items():
                block = block.replace(correct, buggy)
        blocks.append(block)
        i += 1
    return blocks


def training_module(lines: int, bug_every: int = 5) -> str:
    """A training module of about ``lines`` lines."""
    return "".join(training_blocks(lines, bug_every))


SCRIPT_BLOCK = """
# Experiment {i}: a small classifier, trained and evaluated at module level, as in a notebook.
model{i} = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 4))
optimizer{i} = optim.SGD(model{i}.parameters(), lr=0.01, momentum=0.9)
scheduler{i} = StepLR(optimizer{i}, step_size=1)
criterion = nn.CrossEntropyLoss()
inputs, labels = torch.randn(64, 16), torch.randint(0, 4, (64,))
loader = DataLoader(TensorDataset(inputs, labels), batch_size=16)
model{i}.train()
for epoch in range(2):
    for x, y in loader:
        optimizer{i}.zero_grad()
        loss = criterion(model{i}(x), y)
        loss.backward()
        optimizer{i}.step()
    scheduler{i}.step()
    print(f"epoch {{epoch}} loss {{loss.item():.4f}} lr {{scheduler{i}.get_last_lr()[0]}}")
model{i}.eval()
with torch.no_grad():
    logits = model{i}(inputs)
    accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
    print(logits.shape[0], accuracy)
torch.save(model{i}.state_dict(), "model{i}.pt")
"""
SCRIPT_BUGS = {
    "model{i}.eval()\n": "model{i}.eval\n",
    "        loss.backward()\n": "        loss.backward\n",
    "    print(logits.shape[0], accuracy)\n": "    print(logits.shape(0), accuracy)\n",
}


def training_script(lines: int, bug_every: int = 5) -> str:
    """A module-level training script of about ``lines`` lines (names such as ``loss`` reused by every block)."""
    blocks = [HEADER]
    i = 0
    while sum(b.count("\n") for b in blocks) < lines:
        block = SCRIPT_BLOCK
        if i % bug_every == 0:
            for correct, buggy in SCRIPT_BUGS.items():
                block = block.replace(correct, buggy)
        blocks.append(block.format(i=i))
        i += 1
    return "".join(blocks)
