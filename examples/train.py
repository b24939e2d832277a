"""A small training script with the classic PyTorch attribute-versus-method bugs.

Each bug sits next to its correct form. `torchls check examples/` reports every bug once
and nothing on the correct lines; `torchls check --fix examples/` repairs them.
"""

import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset


class Classifier(nn.Module):
    def __init__(self, features: int = 8, classes: int = 3) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Dropout(0.1))
        self.head = nn.Linear(16, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def make_loader() -> DataLoader:
    inputs, labels = torch.randn(64, 8), torch.randint(0, 3, (64,))
    return DataLoader(TensorDataset(inputs, labels), batch_size=16)


def train(model: Classifier, loader: DataLoader, epochs: int = 2) -> None:
    optimizer = optim.SGD(model.parameters, lr=0.01)  # bug: the method, not the parameters
    optimizer = optim.SGD(model.parameters(), lr=0.01)  # correct
    for parameter in model.parameters:  # bug
        parameter.requires_grad_(True)
    for parameter in model.parameters():  # correct
        parameter.requires_grad_(True)
    criterion = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(epochs):
        total = 0.0
        for inputs, labels in loader:
            optimizer.zero_grad  # bug: silently does nothing, gradients accumulate
            optimizer.zero_grad()  # correct
            loss = criterion(model(inputs), labels)
            loss.backward()
            optimizer.step()
            total += loss.item  # bug: TypeError
            total += loss.item()  # correct
        print(f"epoch {epoch}: loss {loss.item:.4f}")  # bug: TypeError in the format spec
        print(f"epoch {epoch}: loss {loss.item():.4f}")  # correct


def evaluate(model: Classifier, loader: DataLoader) -> float:
    model.eval  # bug: silently stays in training mode
    model.eval()  # correct
    correct = 0
    with torch.no_grad:  # bug: TypeError, the class is not a context manager
        pass
    with torch.no_grad():  # correct
        for inputs, labels in loader:
            logits = model(inputs)
            batch = logits.shape(0)  # bug: shape is a torch.Size, not a method
            batch = logits.shape[0]  # correct
            correct += int((logits.argmax(dim=1) == labels).sum())
    if model.training():  # bug: training is a bool
        raise RuntimeError("still training")
    if model.training:  # correct
        raise RuntimeError("still training")
    return correct / max(batch, 1)


def save(model: Classifier, path: str) -> None:
    torch.save(model.state_dict, path)  # bug: pickles the whole model
    torch.save(model.state_dict(), path)  # correct


if __name__ == "__main__":
    net = Classifier()
    train(net, make_loader())
    print(evaluate(net, make_loader()))
    save(net, "classifier.pt")
    print(F.softmax(torch.zeros(3), dim=0))
