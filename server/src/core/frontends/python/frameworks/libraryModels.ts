/**
 * Library models with known shapes (issue 11 §2): the widths a head built on a library
 * backbone reads — torchvision's `model.fc.in_features`, `vgg16().classifier[0].in_features`,
 * timm's `.num_features`, Hugging Face's `config.hidden_size`, the output of a
 * keras.applications model without its top. Data, one entry per model, each with its
 * source (the library file and line, or the model card). Pretrained or not, the backbone's
 * own layers are never judged (it is opaque to the analysis); the head built on it is.
 *
 * Checked by hand against: Debian's python3-torchvision 0.14 sources
 * (/usr/lib/python3/dist-packages/torchvision/models), keras-team/keras-applications
 * (keras_applications/*.py), timm's models/resnet.py and the Hugging Face model cards'
 * config.json.
 */

/** A module's readable attributes: numbers, nested modules, or a Sequential's items (null for a layer without the attribute). */
export interface ModelShape {
  readonly [attribute: string]: number | ModelShape | readonly (ModelShape | null)[];
}

export interface LibraryModel {
  /** The attributes code reads from the built model. */
  readonly shape: ModelShape;
  /** Where the numbers come from. */
  readonly source: string;
}

const linear = (inFeatures: number, outFeatures: number): ModelShape => ({ in_features: inFeatures, out_features: outFeatures });

/** ResNet's head: `self.fc = nn.Linear(512 * block.expansion, num_classes)`. */
const resnet = (width: number, source: string): LibraryModel => ({ shape: { fc: linear(width, 1000) }, source });
const RESNET = 'torchvision/models/resnet.py:206 (fc = nn.Linear(512 * block.expansion, ...); BasicBlock.expansion 1 at :60, Bottleneck.expansion 4 at :115)';
/** VGG's classifier (vgg.py:43–51): Linear(512·7·7, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout, Linear(4096, n). */
const VGG: LibraryModel = {
  shape: { classifier: [linear(25088, 4096), null, null, linear(4096, 4096), null, null, linear(4096, 1000)] },
  source: 'torchvision/models/vgg.py:43-51 (classifier: nn.Linear(512 * 7 * 7, 4096), ..., nn.Linear(4096, 4096), ...)',
};

/** torchvision.models builders (canonical names, frameworks/imports.ts). */
export const TORCHVISION_MODELS: ReadonlyMap<string, LibraryModel> = new Map([
  ['resnet18', resnet(512, RESNET)],
  ['resnet34', resnet(512, RESNET)],
  ['resnet50', resnet(2048, RESNET)],
  ['resnet101', resnet(2048, RESNET)],
  ['resnet152', resnet(2048, RESNET)],
  ['resnext50_32x4d', resnet(2048, RESNET)],
  ['resnext101_32x8d', resnet(2048, RESNET)],
  ['wide_resnet50_2', resnet(2048, RESNET)],
  ['wide_resnet101_2', resnet(2048, RESNET)],
  ...['vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn'].map((name) => [name, VGG] as const),
  ['alexnet', {
    shape: { classifier: [null, linear(9216, 4096), null, null, linear(4096, 4096), null, linear(4096, 1000)] },
    source: 'torchvision/models/alexnet.py:37-45 (classifier: Dropout, nn.Linear(256 * 6 * 6, 4096), ReLU, Dropout, nn.Linear(4096, 4096), ReLU, Linear)',
  }],
  ['mobilenet_v2', {
    shape: { classifier: [null, linear(1280, 1000)], last_channel: 1280 },
    source: 'torchvision/models/mobilenetv2.py:102,124,145-148 (last_channel = 1280; classifier: Dropout, nn.Linear(self.last_channel, n))',
  }],
  ['efficientnet_b0', {
    shape: { classifier: [null, linear(1280, 1000)] },
    source: 'torchvision/models/efficientnet.py:313,326-329,384-393 (last stage 320 channels; lastconv = 4 * 320; classifier: Dropout, nn.Linear(lastconv, n))',
  }],
  ['efficientnet_b1', {
    shape: { classifier: [null, linear(1280, 1000)] },
    source: 'torchvision/models/efficientnet.py:786 (width_mult=1.0: the same 320 → 1280 as b0)',
  }],
  ['densenet121', {
    shape: { classifier: linear(1024, 1000) },
    source: 'torchvision/models/densenet.py:201,363 (classifier = nn.Linear(num_features, n); growth 32, blocks (6, 12, 24, 16), 64 initial: 64+6·32=256→128, +12·32=512→256, +24·32=1024→512, +16·32=1024)',
  }],
]);

/** timm.create_model(name, ...): `.num_features` (the head's input width, also with num_classes=0). */
export const TIMM_MODELS: ReadonlyMap<string, LibraryModel> = new Map([
  ['resnet18', { shape: { num_features: 512 }, source: 'timm/models/resnet.py, ResNet.__init__: self.num_features = 512 * block.expansion (BasicBlock: 1)' }],
  ['resnet34', { shape: { num_features: 512 }, source: 'timm/models/resnet.py, ResNet.__init__: self.num_features = 512 * block.expansion (BasicBlock: 1)' }],
  ['resnet50', { shape: { num_features: 2048 }, source: 'timm/models/resnet.py, ResNet.__init__: self.num_features = 512 * block.expansion (Bottleneck: 4)' }],
  ['resnet101', { shape: { num_features: 2048 }, source: 'timm/models/resnet.py, ResNet.__init__: self.num_features = 512 * block.expansion (Bottleneck: 4)' }],
]);

/** Hugging Face checkpoints: `model.config.hidden_size`. */
export const HUGGING_FACE_CHECKPOINTS: ReadonlyMap<string, LibraryModel> = new Map([
  ['bert-base-uncased', { shape: { config: { hidden_size: 768 } }, source: 'huggingface.co/google-bert/bert-base-uncased config.json: "hidden_size": 768' }],
  ['google-bert/bert-base-uncased', { shape: { config: { hidden_size: 768 } }, source: 'huggingface.co/google-bert/bert-base-uncased config.json: "hidden_size": 768' }],
]);

/**
 * keras.applications models built with include_top=False: the channels of their last
 * feature map (the output width with pooling="avg"/"max"), and for VGG the pooling steps
 * (five 2×2 max-pools, stride 2, "valid": each floors the spatial size in half).
 */
export interface KerasApplication {
  readonly channels: number;
  readonly halvings?: number;
  readonly source: string;
}

export const KERAS_APPLICATIONS: ReadonlyMap<string, KerasApplication> = new Map([
  ['ResNet50', { channels: 2048, source: 'keras_applications/resnet_common.py:434 (stack1(x, 512, 3): block output 4 · 512)' }],
  ['ResNet101', { channels: 2048, source: 'keras_applications/resnet_common.py:454 (stack1(x, 512, 3): block output 4 · 512)' }],
  ['VGG16', { channels: 512, halvings: 5, source: 'keras_applications/vgg16.py:117-173 (block5_conv3: Conv2D(512); five MaxPooling2D((2, 2), strides=(2, 2)))' }],
  ['VGG19', { channels: 512, halvings: 5, source: 'keras_applications/vgg19.py (block5: Conv2D(512); five MaxPooling2D((2, 2), strides=(2, 2)), as VGG16)' }],
  ['MobileNetV2', { channels: 1280, source: 'keras_applications/mobilenet_v2.py:371 (last_block_filters = 1280 for alpha ≤ 1)' }],
  ['InceptionV3', { channels: 2048, source: 'keras_applications/inception_v3.py:332 (mixed 9: 8 x 8 x 2048)' }],
  ['Xception', { channels: 2048, source: 'keras_applications/xception.py:262 (SeparableConv2D(2048, (3, 3)))' }],
  ['EfficientNetB0', { channels: 1280, source: 'keras_applications/efficientnet.py:359 (Conv2D(round_filters(1280), 1); width 1.0 for B0)' }],
]);
