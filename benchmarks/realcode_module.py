"""A generated training module shaped like application code, for benchmarks/latency.py.

Unlike ``tests/training_module.py`` (every parameter annotated), its receivers are what jedi cannot
type alone, as in tests/fixtures/realcode: models and optimizers handed in as unannotated function
parameters (typed from the call sites), built by factories of a sibling module (``realcode_models.py``,
imported), and objects from a package that is not installed (typed from how they are used). Every
fifth block has four bugs that only those two stages find.
"""

from __future__ import annotations

MODELS_MODULE = """import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Encoder(nn.Module):
    def __init__(self, hidden=32, classes=4):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(16, hidden), nn.ReLU(), nn.Dropout(0.1))
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.head(self.body(x))


def build_model(name, hidden=32):
    if name == "mlp":
        return nn.Sequential(nn.Linear(16, hidden), nn.ReLU(), nn.Linear(hidden, 4))
    return Encoder(hidden)


def make_optimizer(model, lr=1e-3):
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)


def make_loader(cfg):
    inputs, labels = torch.randn(cfg.samples, 16), torch.randint(0, 4, (cfg.samples,))
    return DataLoader(TensorDataset(inputs, labels), batch_size=cfg.batch_size)
"""

HEADER = """import torch
from torch import nn

from experiment_hub import load_pretrained  # not installed: what it returns is known only from its use
from realcode_models import Encoder, build_model, make_loader, make_optimizer
"""

BLOCK = """

def train_epoch{i}(model, loader, optimizer, scheduler=None, clip=1.0):
    model.train()
    total = 0.0
    for inputs, labels in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(inputs), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        total += float(loss.detach())
    if scheduler is not None:
        scheduler.step()
    return total


def evaluate{i}(model, loader):
    model.eval()
    correct = seen = 0
    with torch.no_grad():
        for inputs, labels in loader:
            logits = model(inputs)
            correct += int((logits.argmax(dim=1) == labels).sum())
            seen += labels.numel()
    return correct / max(seen, 1)


def save{i}(model, optimizer, path):
    parameters = sum(p.numel() for p in model.parameters())
    torch.save({{"model": model.state_dict(), "optimizer": optimizer.state_dict(), "size": parameters}}, path)


class Runner{i}:
    def __init__(self, cfg):
        self.cfg = cfg
        self.model = build_model(cfg.name, cfg.hidden)
        self.optimizer = make_optimizer(self.model, cfg.lr)
        self.teacher = load_pretrained(cfg.teacher)

    def distill(self, inputs):
        self.teacher.eval()
        self.teacher.requires_grad_(False)
        with torch.no_grad():
            targets = self.teacher(inputs).softmax(dim=-1)
        return targets

    def fit(self, loader):
        for epoch in range(self.cfg.epochs):
            loss = train_epoch{i}(self.model, loader, self.optimizer)
            print(f"run {i} epoch {{epoch}} loss {{loss:.4f}}")
        save{i}(self.model, self.optimizer, "run{i}.pt")
        return evaluate{i}(self.model, loader)


def main{i}(cfg):
    model = Encoder(cfg.hidden).to(cfg.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    loader = make_loader(cfg)
    for _ in range(cfg.epochs):
        train_epoch{i}(model, loader, optimizer, scheduler)
    save{i}(model, optimizer, "main{i}.pt")
    return evaluate{i}(model, loader), Runner{i}(cfg).fit(loader)
"""

# Each needs the receiver's type, which only call sites (model, optimizer) or use (teacher) give.
BUGS = {
    "    model.eval()\n": "    model.eval()\n    print(model.training())\n",
    "p.numel() for p in model.parameters())": "p.numel() for p in model.parameters)",
    '"optimizer": optimizer.state_dict()': '"optimizer": optimizer.state_dict',
    "        self.teacher.eval()\n": "        self.teacher.eval()\n        print(self.teacher.training())\n",
}


def realcode_module(lines: int, bug_every: int = 5) -> str:
    """The module of about ``lines`` lines; it imports ``realcode_models`` (:data:`MODELS_MODULE`) beside it."""
    blocks = [HEADER]
    i = 0
    while sum(b.count("\n") for b in blocks) < lines:
        block = BLOCK
        if i % bug_every == 0:
            for correct, buggy in BUGS.items():
                assert correct in block, correct
                block = block.replace(correct, buggy)
        blocks.append(block.format(i=i))
        i += 1
    return "".join(blocks)
