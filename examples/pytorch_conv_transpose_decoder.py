# A convolutional decoder: transposed convs upsample 4×4 → 32×32. PyTorch's default init
# divides by the transposed layout's fan_in, (out/groups)·∏k; InitWise judges it on the
# true fans and the fix writes mode="fan_out", the forward fan on this layout.
import torch
import torch.nn as nn


class Decoder(nn.Module):
    def __init__(self, latent=256, width=128):
        super().__init__()
        self.up1 = nn.ConvTranspose2d(latent, width, 4, stride=2, padding=1)
        self.up2 = nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1)
        nn.init.kaiming_normal_(self.up2.weight, nonlinearity="relu")
        self.up3 = nn.ConvTranspose2d(width // 2, width // 4, 4, stride=2, padding=1)
        nn.init.kaiming_normal_(self.up3.weight, mode="fan_out", nonlinearity="relu")
        self.to_rgb = nn.Conv2d(width // 4, 3, 3, padding=1)

    def forward(self, z):
        x = torch.relu(self.up1(z))
        x = torch.relu(self.up2(x))
        x = torch.relu(self.up3(x))
        return torch.tanh(self.to_rgb(x))
