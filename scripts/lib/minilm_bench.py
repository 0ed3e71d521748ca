"""all-MiniLM-L6-v2 with sentence-transformers (PyTorch) and with ONNX Runtime on a prompt file:
prompts/s at batch 32 (length-sorted as sentence-transformers sorts, and in arrival order) and at
batch 1, and one prompt's p50/p99 latency; one JSON line per engine. Run by scripts/minilm-bench.sh
beside the Swift embedder, on the same prompts and threads."""
import argparse
import json
import pathlib
import time

import numpy as np
import torch


def rates(embed_batch, prompts):
    """Throughputs and latencies of `embed_batch(list of texts)`."""
    def rate(run):
        start = time.perf_counter()
        run()
        return len(prompts) / (time.perf_counter() - start)

    def batches(texts):
        for i in range(0, len(texts), 32):
            embed_batch(texts[i:i + 32])

    embed_batch(prompts[:64])  # warm up
    by_length = sorted(prompts, key=len)
    result = {
        "batch32_sorted": rate(lambda: batches(by_length)),
        "batch32_unsorted": rate(lambda: batches(prompts)),
        "batch1": rate(lambda: [embed_batch([p]) for p in prompts]),
    }
    latencies = []
    for p in prompts[:200]:
        start = time.perf_counter()
        embed_batch([p])
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    result["p50_ms"] = latencies[len(latencies) // 2]
    result["p99_ms"] = latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)]
    return result


def least_cosine(embed_batch, reference_file):
    """The least cosine between `embed_batch`'s vectors and sentence-transformers' stored ones for
    the reference sentences (Tests/MiniLMTests/Fixtures/minilm-reference.json)."""
    sentences = json.loads(pathlib.Path(reference_file).read_text())["sentences"]
    vectors = embed_batch([s["text"] for s in sentences])
    reference = np.array([s["vector"] for s in sentences], dtype=np.float32)
    cosines = (vectors * reference).sum(1) / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(reference, axis=1))
    return float(cosines.min())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", required=True)
    parser.add_argument("--count", type=int, default=320)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--onnx", required=True, help="where to export (or find) the ONNX model")
    parser.add_argument("--reference", required=True, help="sentence-transformers' vectors of reference sentences (minilm-reference.json)")
    args = parser.parse_args()
    texts = [line for line in pathlib.Path(args.prompts).read_text().split("\n") if line]
    prompts = [texts[i % len(texts)] for i in range(args.count)]
    torch.set_num_threads(2)

    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(args.model_dir, device="cpu")
    model.eval()
    with torch.inference_mode():
        result = rates(lambda batch: model.encode(batch, batch_size=32, convert_to_numpy=True), prompts)
    print(json.dumps({"engine": f"sentence-transformers {__import__('sentence_transformers').__version__} / torch {torch.__version__}", **result}))

    import onnxruntime
    tokenizer = model.tokenizer
    onnx_path = pathlib.Path(args.onnx)
    if not onnx_path.exists():
        bert = model[0].auto_model

        class Encoder(torch.nn.Module):
            def forward(self, input_ids, attention_mask, token_type_ids):
                return bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

        for parameter in bert.parameters():
            parameter.requires_grad_(False)
        sample = tokenizer(["hello world"], return_tensors="pt")
        with torch.no_grad():
            torch.onnx.export(
                Encoder(), (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]), str(onnx_path),
                input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
                opset_version=14, dynamo=False)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def onnx_embed(batch):
        encoded = tokenizer(batch, padding=True, truncation=True, max_length=256, return_tensors="np")
        feed = {k: encoded[k].astype(np.int64) for k in ["input_ids", "attention_mask", "token_type_ids"]}
        hidden = session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    print(json.dumps({"engine": f"onnxruntime {onnxruntime.__version__}", **rates(onnx_embed, prompts),
                      "least_cosine": least_cosine(onnx_embed, args.reference)}))

    # ONNX Runtime's own dynamic int8 quantization of the same model, as its documentation shows
    # it (weights int8, activations quantized at run time): the peer of `--precision int8`.
    from onnxruntime.quantization import QuantType, quantize_dynamic
    int8_path = onnx_path.with_name(onnx_path.stem + "-int8.onnx")
    if not int8_path.exists():
        # The exporter writes the weights as Constant nodes; quantize_dynamic quantizes only
        # products whose weights are initializers, so they are made initializers first.
        import onnx
        graph_model = onnx.load(str(onnx_path))
        graph, kept = graph_model.graph, []
        for node in graph.node:
            if node.op_type == "Constant" and [a.name for a in node.attribute] == ["value"]:
                tensor = node.attribute[0].t
                tensor.name = node.output[0]
                graph.initializer.append(tensor)
            else:
                kept.append(node)
        del graph.node[:]
        graph.node.extend(kept)
        staged = onnx_path.with_name(onnx_path.stem + "-initializers.onnx")
        onnx.save(graph_model, str(staged))
        quantize_dynamic(str(staged), str(int8_path), weight_type=QuantType.QInt8)
        quantized = sum(n.op_type in ("MatMulInteger", "DynamicQuantizeMatMul") for n in onnx.load(str(int8_path)).graph.node)
        if quantized == 0:
            raise SystemExit("quantize_dynamic quantized no matrix product")
    session = onnxruntime.InferenceSession(str(int8_path), options, providers=["CPUExecutionProvider"])
    print(json.dumps({"engine": f"onnxruntime-int8 {onnxruntime.__version__}", **rates(onnx_embed, prompts),
                      "least_cosine": least_cosine(onnx_embed, args.reference)}))


if __name__ == "__main__":
    main()
