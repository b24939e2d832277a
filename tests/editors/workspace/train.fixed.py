import torch
from torch import nn, optim

model = nn.Linear(4, 2)
optimizer = optim.SGD(model.parameters(), lr=0.1)
note = "données — 😋 日本"; model.eval()
inputs = torch.ones(3, 4)
with torch.no_grad():
    print(model(inputs).shape[0])
