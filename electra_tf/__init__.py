"""electra-tf: pretrain, fine-tune and serve ELECTRA text encoders with TensorFlow/Keras.

The package layout follows the data flow:
text (vocab, tokenizer) -> data (packing, TFRecords, tf.data) -> models + training
(pretrainer, checkpoints) -> export (SavedModels).
"""

__version__ = "0.1.0"
